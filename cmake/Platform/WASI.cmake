# CMake has no built-in WASI platform; this marks the target for our toolchain file.
set(WASI 1)
set(CMAKE_EXECUTABLE_SUFFIX ".wasm")
