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
