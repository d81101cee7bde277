# Finds libtorch and defines `forensics_torch`, the one target torch-linked code links.
# Where from, in order: a Torch_DIR / CMAKE_PREFIX_PATH the user gave (e.g. the official
# libtorch archive), else the `torch` wheel of FORENSICS_PYTHON (the project's virtual
# environment, made by scripts/setup.sh).
#
# How: TorchConfig.cmake (find_package(Torch)) when it can work. It cannot for a CUDA build of
# libtorch on a machine without the CUDA toolkit: its Caffe2 part stops with a fatal error
# although we compile no CUDA code. There (or with FORENSICS_TORCH_IMPORT=manual) we import the
# wheel's headers and libraries directly.
set(FORENSICS_PYTHON "" CACHE FILEPATH "Python whose torch wheel provides libtorch")
set(FORENSICS_TORCH_IMPORT "auto" CACHE STRING "How to import libtorch: auto, config or manual")
set_property(CACHE FORENSICS_TORCH_IMPORT PROPERTY STRINGS auto config manual)

if(NOT FORENSICS_PYTHON)
  if(DEFINED ENV{FORENSICS_VENV})
    set(_venv "$ENV{FORENSICS_VENV}")
  else()
    set(_venv "$ENV{HOME}/.cache/forensics/venv")
  endif()
  if(EXISTS "${_venv}/bin/python")
    set(FORENSICS_PYTHON "${_venv}/bin/python" CACHE FILEPATH "" FORCE)
  endif()
endif()

# The libtorch prefix: a user-given Torch_DIR / prefix path wins over the wheel.
find_path(FORENSICS_TORCH_CONFIG_DIR TorchConfig.cmake
  PATH_SUFFIXES share/cmake/Torch HINTS "${Torch_DIR}" NO_CACHE)
if(FORENSICS_TORCH_CONFIG_DIR)
  get_filename_component(FORENSICS_TORCH_PREFIX "${FORENSICS_TORCH_CONFIG_DIR}/../../.." ABSOLUTE)
elseif(FORENSICS_PYTHON)
  execute_process(
    COMMAND "${FORENSICS_PYTHON}" -c "import os, torch; print(os.path.dirname(torch.__file__))"
    OUTPUT_VARIABLE FORENSICS_TORCH_PREFIX OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _torch_result ERROR_QUIET)
  if(NOT _torch_result EQUAL 0)
    unset(FORENSICS_TORCH_PREFIX)
  endif()
endif()
if(NOT FORENSICS_TORCH_PREFIX OR NOT EXISTS "${FORENSICS_TORCH_PREFIX}/include/torch")
  message(FATAL_ERROR
    "libtorch not found. Run scripts/setup.sh (installs the torch wheel into a virtual "
    "environment), or pass -DCMAKE_PREFIX_PATH=/path/to/libtorch for the official archive.")
endif()

set(_mode "${FORENSICS_TORCH_IMPORT}")
if(_mode STREQUAL "auto")
  set(_mode config)
  if(EXISTS "${FORENSICS_TORCH_PREFIX}/lib/libtorch_cuda.so")
    find_package(CUDAToolkit QUIET)
    if(NOT CUDAToolkit_FOUND)
      set(_mode manual)
    endif()
  endif()
endif()

add_library(forensics_torch INTERFACE)
if(_mode STREQUAL "config")
  list(APPEND CMAKE_PREFIX_PATH "${FORENSICS_TORCH_PREFIX}/share/cmake")
  find_package(Torch REQUIRED CONFIG)
  target_link_libraries(forensics_torch INTERFACE torch)
  set(FORENSICS_TORCH_VERSION "${Torch_VERSION}")
else()
  # The version header moved in 2.x (headeronly/ since ~2.9); read whichever has the numbers.
  foreach(_header torch/headeronly/version.h torch/csrc/api/include/torch/version.h)
    if(EXISTS "${FORENSICS_TORCH_PREFIX}/include/${_header}" AND NOT FORENSICS_TORCH_VERSION)
      file(STRINGS "${FORENSICS_TORCH_PREFIX}/include/${_header}" _lines
           REGEX "define TORCH_VERSION_(MAJOR|MINOR|PATCH) ")
      string(REGEX REPLACE ".*MAJOR ([0-9]+).*MINOR ([0-9]+).*PATCH ([0-9]+).*" "\\1.\\2.\\3"
             FORENSICS_TORCH_VERSION "${_lines}")
    endif()
  endforeach()
  add_library(forensics_torch_imported INTERFACE IMPORTED)
  target_include_directories(forensics_torch_imported SYSTEM INTERFACE
    "${FORENSICS_TORCH_PREFIX}/include"
    "${FORENSICS_TORCH_PREFIX}/include/torch/csrc/api/include")
  target_compile_features(forensics_torch_imported INTERFACE cxx_std_20)
  set(_libs "${FORENSICS_TORCH_PREFIX}/lib/libtorch.so" "${FORENSICS_TORCH_PREFIX}/lib/libtorch_cpu.so"
            "${FORENSICS_TORCH_PREFIX}/lib/libc10.so")
  # --no-as-needed: nothing references libtorch_cuda's symbols directly, but loading it is what
  # registers the CUDA backend.
  foreach(_cuda_lib libtorch_cuda.so libc10_cuda.so)
    if(EXISTS "${FORENSICS_TORCH_PREFIX}/lib/${_cuda_lib}")
      list(APPEND _libs "-Wl,--no-as-needed,${FORENSICS_TORCH_PREFIX}/lib/${_cuda_lib},--as-needed")
    endif()
  endforeach()
  target_link_libraries(forensics_torch_imported INTERFACE ${_libs})
  target_link_options(forensics_torch_imported INTERFACE
    "LINKER:-rpath,${FORENSICS_TORCH_PREFIX}/lib")
  target_link_libraries(forensics_torch INTERFACE forensics_torch_imported)
endif()

# The wheel's libtorch_cuda.so finds its NVIDIA libraries (pip packages under
# site-packages/nvidia) through $ORIGIN rpaths the linker does not follow at link time; name
# them so a system CUDA (e.g. an older NCCL in /usr/local/cuda) is not picked up instead.
file(GLOB FORENSICS_TORCH_NVIDIA_LIB_DIRS "${FORENSICS_TORCH_PREFIX}/../nvidia/*/lib")
foreach(_dir IN LISTS FORENSICS_TORCH_NVIDIA_LIB_DIRS)
  target_link_options(forensics_torch INTERFACE "LINKER:-rpath-link,${_dir}")
endforeach()
message(STATUS "forensics: libtorch ${FORENSICS_TORCH_VERSION} from ${FORENSICS_TORCH_PREFIX} "
               "(imported via ${_mode})")
