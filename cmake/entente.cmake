# Compile settings shared by every Entente target. Generated code and
# third-party headers are exempt from -Werror; our own code is not.
function(entente_compile_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wno-unused-parameter)
  if(ENTENTE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# entente_test(NAME SOURCES... LIBS ...): a GoogleTest binary registered with CTest.
function(entente_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  entente_compile_options(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300)
endfunction()

# entente_proto_library(NAME PROTOS...): C++ messages and gRPC stubs for
# .proto files given relative to the current source directory, which is also
# their import root.
function(entente_proto_library name)
  add_library(${name} ${ARGN})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf gRPC::grpc++)
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_BINARY_DIR})
  protobuf_generate(TARGET ${name} LANGUAGE cpp
                    IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR}
                    PROTOC_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
  protobuf_generate(TARGET ${name} LANGUAGE grpc
                    GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
                    PLUGIN "protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>"
                    IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR}
                    PROTOC_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
endfunction()

# entente_fast_malloc(TARGET): links jemalloc into an executable when it was
# found and the build has no sanitizers (they bring their own allocator).
function(entente_fast_malloc target)
  if(JEMALLOC_FOUND AND NOT ENTENTE_SANITIZE AND NOT ENTENTE_TSAN)
    target_link_libraries(${target} PRIVATE PkgConfig::JEMALLOC)
  endif()
endfunction()
