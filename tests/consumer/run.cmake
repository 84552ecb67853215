# Builds and runs tests/consumer against this source tree in MODE. Called by CTest (consumer_*).
#   find_package      install seq2seq into a scratch prefix, check the install tree (the expected
#                     files only, no path of the source or build tree in them), move the prefix
#                     and delete the build: the consumer builds from the moved install tree alone
#   pkgconfig         the same install tree, consumed with nothing but `pkg-config --cflags
#                     --libs seq2seq-io` and the compiler
#   eigen5            find_package with an Eigen that numbers itself 5.0.0 and, as Eigen 5's config
#                     does, rejects a request for 3.x: seq2seq's package must still find it
#   eigen_too_old     find_package with an Eigen 3.3.9: configuring fails with seq2seq's message
#   add_subdirectory  a source tree
#   fetchcontent      FetchContent from the local path
# GEMM is the outer build's SEQ2SEQ_GEMM, EXPECT_GEMM the backend it resolved to: the consumer
# checks that the package (installed or as a subproject) hands it that backend. CXX is the
# compiler, EIGEN_INCLUDE Eigen's include directory and EIGEN_DIR its config's directory (for
# the stand-in Eigen configs).
set(work ${WORK_DIR}/${MODE})
file(REMOVE_RECURSE ${work})

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " shown "${ARGN}")
    message(FATAL_ERROR "consumer (${MODE}) step failed (${rc}): ${shown}")
  endif()
endfunction()

# A stand-in Eigen3Config.cmake (and version file) of the given version, over the real headers.
function(fake_eigen dir version)
  string(REGEX MATCH "^[0-9]+" major "${version}")
  file(WRITE ${dir}/Eigen3ConfigVersion.cmake
    "set(PACKAGE_VERSION ${version})\n"
    "set(PACKAGE_VERSION_COMPATIBLE TRUE)\n"
    "if(PACKAGE_FIND_VERSION AND NOT PACKAGE_FIND_VERSION_MAJOR EQUAL ${major})\n"
    "  set(PACKAGE_VERSION_COMPATIBLE FALSE)\n"
    "endif()\n")
  file(WRITE ${dir}/Eigen3Config.cmake
    "if(NOT TARGET Eigen3::Eigen)\n"
    "  add_library(Eigen3::Eigen INTERFACE IMPORTED)\n"
    "  set_target_properties(Eigen3::Eigen PROPERTIES INTERFACE_INCLUDE_DIRECTORIES \"${EIGEN_INCLUDE}\")\n"
    "endif()\n")
endfunction()

set(prefix ${work}/prefix)
if(MODE MATCHES "^(find_package|pkgconfig|eigen5|eigen_too_old)$")
  run_step(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${work}/lib -DSEQ2SEQ_BUILD_TESTS=OFF
           -DSEQ2SEQ_BUILD_EXAMPLES=OFF -DSEQ2SEQ_BUILD_BENCHMARKS=OFF -DSEQ2SEQ_GEMM=${GEMM}
           -DCMAKE_INSTALL_PREFIX=${work}/installed)
  run_step(${CMAKE_COMMAND} --install ${work}/lib)
  if(MODE STREQUAL "find_package")
    # Everything a consumer needs and nothing else.
    file(GLOB_RECURSE files RELATIVE ${work}/installed ${work}/installed/*)
    foreach(f ${files})
      if(NOT f MATCHES "^include/seq2seq/(core|cells|attention|rnn|decode|io)/[a-z0-9_]+\\.hpp$"
         AND NOT f MATCHES "^include/seq2seq/(seq2seq|version)\\.hpp$"
         AND NOT f MATCHES "^share/cmake/seq2seq/seq2seq(Config|ConfigVersion|Targets)\\.cmake$"
         AND NOT f MATCHES "^share/pkgconfig/seq2seq(-io)?\\.pc$"
         AND NOT f MATCHES "^share/doc/seq2seq/(LICENSE|README\\.md)$")
        message(FATAL_ERROR "consumer (${MODE}): unexpected file in the install tree: ${f}")
      endif()
      file(READ ${work}/installed/${f} text)
      foreach(tree ${SOURCE_DIR} ${work})
        string(FIND "${text}" "${tree}" at)
        if(NOT at EQUAL -1)
          message(FATAL_ERROR "consumer (${MODE}): ${f} names the path ${tree}")
        endif()
      endforeach()
    endforeach()
    foreach(f include/seq2seq/seq2seq.hpp include/seq2seq/io/tf_checkpoint.hpp
              share/cmake/seq2seq/seq2seqTargets.cmake share/pkgconfig/seq2seq.pc)
      if(NOT EXISTS ${work}/installed/${f})
        message(FATAL_ERROR "consumer (${MODE}): ${f} was not installed")
      endif()
    endforeach()
  endif()
  # The consumer sees the install tree only, somewhere else than where it was installed.
  file(RENAME ${work}/installed ${prefix})
  file(REMOVE_RECURSE ${work}/lib)
endif()

set(configure ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${work}/app
    -DSEQ2SEQ_CONSUMER_EXPECT_GEMM=${EXPECT_GEMM})
if(MODE MATCHES "^(add_subdirectory|fetchcontent)$")
  list(APPEND configure -DSEQ2SEQ_CONSUMER_MODE=${MODE} -DSEQ2SEQ_SOURCE_DIR=${SOURCE_DIR}
       -DSEQ2SEQ_GEMM=${GEMM})
else()
  list(APPEND configure -DSEQ2SEQ_CONSUMER_MODE=find_package -DCMAKE_PREFIX_PATH=${prefix})
endif()

if(MODE STREQUAL "pkgconfig")
  set(ENV{PKG_CONFIG_PATH} ${prefix}/share/pkgconfig)
  foreach(what cflags libs)
    execute_process(COMMAND pkg-config --${what} seq2seq-io RESULT_VARIABLE rc
                    OUTPUT_VARIABLE ${what} OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "consumer (pkgconfig): pkg-config --${what} seq2seq-io failed")
    endif()
    message(STATUS "pkg-config --${what} seq2seq-io: ${${what}}")
    separate_arguments(${what} UNIX_COMMAND "${${what}}")
  endforeach()
  string(TOLOWER "${EXPECT_GEMM}" expect)
  file(MAKE_DIRECTORY ${work}/app)
  run_step(${CXX} -std=c++17 ${cflags} "-DSEQ2SEQ_CONSUMER_EXPECT_GEMM=\"${expect}\""
           ${CONSUMER_DIR}/main.cpp -o ${work}/app/consumer ${libs})
elseif(MODE MATCHES "^eigen")
  if(MODE STREQUAL "eigen5")
    fake_eigen(${work}/eigen 5.0.0)
  else()
    fake_eigen(${work}/eigen 3.3.9)
  endif()
  # The real Eigen's config directory is ignored, so that only the stand-in can be found.
  execute_process(COMMAND ${configure} -DEigen3_DIR=${work}/eigen
                  -DCMAKE_IGNORE_PATH=${EIGEN_DIR} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(MODE STREQUAL "eigen_too_old")
    string(REPLACE "\n" " " flat "${out}")
    string(REGEX REPLACE " +" " " flat "${flat}")
    if(rc EQUAL 0 OR NOT flat MATCHES "seq2seq needs Eigen 3.4 or newer .*found Eigen 3.3.9")
      message(FATAL_ERROR "consumer (eigen_too_old): expected a failure naming Eigen 3.3.9, "
                          "got (${rc}):\n${out}")
    endif()
    message(STATUS "consumer (eigen_too_old): refused as expected")
    return()
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer (eigen5): configure failed (${rc}):\n${out}")
  endif()
  run_step(${CMAKE_COMMAND} --build ${work}/app)
else()
  run_step(${configure})
  run_step(${CMAKE_COMMAND} --build ${work}/app)
endif()
run_step(${work}/app/consumer)
