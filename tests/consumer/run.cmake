# Builds and runs tests/consumer against this source tree in MODE (find_package: after installing
# seq2seq into a scratch prefix; add_subdirectory; fetchcontent). Called by CTest (consumer_*).
# GEMM is the outer build's SEQ2SEQ_GEMM, EXPECT_GEMM the backend it resolved to: the consumer
# checks that the package (installed or as a subproject) hands it that backend.
set(work ${WORK_DIR}/${MODE})
file(REMOVE_RECURSE ${work})
# Each step is one command with its arguments separated by "|" (";" would split the list).
set(steps "")
if(MODE STREQUAL "find_package")
  list(APPEND steps
    "${CMAKE_COMMAND}|-S|${SOURCE_DIR}|-B|${work}/lib|-DSEQ2SEQ_BUILD_TESTS=OFF|-DSEQ2SEQ_BUILD_EXAMPLES=OFF|-DSEQ2SEQ_BUILD_BENCHMARKS=OFF|-DSEQ2SEQ_GEMM=${GEMM}"
    "${CMAKE_COMMAND}|--install|${work}/lib|--prefix|${work}/prefix")
endif()
list(APPEND steps
  "${CMAKE_COMMAND}|-S|${CONSUMER_DIR}|-B|${work}/app|-DSEQ2SEQ_CONSUMER_MODE=${MODE}|-DSEQ2SEQ_SOURCE_DIR=${SOURCE_DIR}|-DCMAKE_PREFIX_PATH=${work}/prefix|-DSEQ2SEQ_GEMM=${GEMM}|-DSEQ2SEQ_CONSUMER_EXPECT_GEMM=${EXPECT_GEMM}"
  "${CMAKE_COMMAND}|--build|${work}/app"
  "${work}/app/consumer")
foreach(step ${steps})
  string(REPLACE "|" ";" command "${step}")
  execute_process(COMMAND ${command} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE "|" " " shown "${step}")
    message(FATAL_ERROR "consumer (${MODE}) step failed (${rc}): ${shown}")
  endif()
endforeach()
