# Finds libtorch. In order: a Torch_DIR / CMAKE_PREFIX_PATH the user gave (e.g. the official
# libtorch archive), else the `torch` wheel of FORENSICS_PYTHON (the project's virtual
# environment, made by scripts/setup.sh).
set(FORENSICS_PYTHON "" CACHE FILEPATH "Python whose torch wheel provides libtorch")
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

find_package(Torch QUIET CONFIG)
if(NOT Torch_FOUND AND FORENSICS_PYTHON)
  execute_process(
    COMMAND "${FORENSICS_PYTHON}" -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
    OUTPUT_VARIABLE _torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _torch_result ERROR_QUIET)
  if(_torch_result EQUAL 0)
    list(APPEND CMAKE_PREFIX_PATH "${_torch_prefix}")
    find_package(Torch CONFIG)
  endif()
endif()
if(NOT Torch_FOUND)
  message(FATAL_ERROR
    "libtorch not found. Run scripts/setup.sh (installs the torch wheel into a virtual "
    "environment), or pass -DCMAKE_PREFIX_PATH=/path/to/libtorch for the official archive.")
endif()
message(STATUS "forensics: libtorch ${Torch_VERSION} from ${TORCH_INSTALL_PREFIX}")

# The wheel's libtorch_cuda.so finds its NVIDIA libraries (pip packages under
# site-packages/nvidia) through $ORIGIN rpaths the linker does not follow; name them so a system
# CUDA (e.g. an older NCCL in /usr/local/cuda) is not picked up instead at link time.
file(GLOB FORENSICS_TORCH_NVIDIA_LIB_DIRS "${TORCH_INSTALL_PREFIX}/../nvidia/*/lib")
add_library(forensics_torch INTERFACE)
target_link_libraries(forensics_torch INTERFACE torch)
foreach(_dir IN LISTS FORENSICS_TORCH_NVIDIA_LIB_DIRS)
  target_link_options(forensics_torch INTERFACE "LINKER:-rpath-link,${_dir}")
endforeach()
