# ccache, configured so a clean clone in another folder still hits the cache: paths under the
# checkout are rewritten relative to it (CCACHE_BASEDIR), and precompiled headers are allowed
# (pch_defines, time_macros, include_file_*; ccache's manual, "Precompiled headers").
if(FORENSICS_USE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  find_program(FORENSICS_CCACHE ccache)
  if(FORENSICS_CCACHE)
    set(CMAKE_CXX_COMPILER_LAUNCHER
        "${CMAKE_COMMAND};-E;env;CCACHE_BASEDIR=${CMAKE_SOURCE_DIR};CCACHE_NOHASHDIR=1;CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime;${FORENSICS_CCACHE}")
    message(STATUS "forensics: compiling through ccache (${FORENSICS_CCACHE})")
  endif()
endif()
