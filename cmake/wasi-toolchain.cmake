# WASI toolchain: an official wasi-sdk when WASI_SDK_PREFIX is set (environment
# or cache), otherwise Debian's clang + lld + wasi-libc + libc++-dev-wasm32.
set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
set(triple wasm32-wasi)

if(NOT WASI_SDK_PREFIX AND DEFINED ENV{WASI_SDK_PREFIX})
  set(WASI_SDK_PREFIX $ENV{WASI_SDK_PREFIX})
endif()

if(WASI_SDK_PREFIX)
  set(CMAKE_C_COMPILER ${WASI_SDK_PREFIX}/bin/clang)
  set(CMAKE_CXX_COMPILER ${WASI_SDK_PREFIX}/bin/clang++)
  set(CMAKE_AR ${WASI_SDK_PREFIX}/bin/llvm-ar CACHE FILEPATH "")
  set(CMAKE_RANLIB ${WASI_SDK_PREFIX}/bin/llvm-ranlib CACHE FILEPATH "")
  set(CMAKE_SYSROOT ${WASI_SDK_PREFIX}/share/wasi-sysroot)
else()
  find_program(CMAKE_C_COMPILER NAMES clang clang-14 REQUIRED)
  find_program(CMAKE_CXX_COMPILER NAMES clang++ clang++-14 REQUIRED)
  find_program(CMAKE_AR NAMES llvm-ar llvm-ar-14 REQUIRED)
  find_program(CMAKE_RANLIB NAMES llvm-ranlib llvm-ranlib-14 REQUIRED)
  # Debian installs wasi-libc and libc++ for wasm32 under /usr (multiarch wasm32-wasi).
  set(CMAKE_SYSROOT /usr)
endif()

set(CMAKE_C_COMPILER_TARGET ${triple})
set(CMAKE_CXX_COMPILER_TARGET ${triple})
set(CMAKE_EXECUTABLE_SUFFIX ".wasm")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
