# Installs seq2seq into a scratch prefix, then configures, builds and runs tests/consumer
# against it with find_package(seq2seq). Called by CTest (consumer_find_package).
file(REMOVE_RECURSE ${WORK_DIR})
foreach(step
    "${CMAKE_COMMAND};-S;${SOURCE_DIR};-B;${WORK_DIR}/lib;-DSEQ2SEQ_BUILD_TESTS=OFF;-DSEQ2SEQ_BUILD_EXAMPLES=OFF;-DSEQ2SEQ_BUILD_BENCHMARKS=OFF"
    "${CMAKE_COMMAND};--install;${WORK_DIR}/lib;--prefix;${WORK_DIR}/prefix"
    "${CMAKE_COMMAND};-S;${CONSUMER_DIR};-B;${WORK_DIR}/app;-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix"
    "${CMAKE_COMMAND};--build;${WORK_DIR}/app"
    "${WORK_DIR}/app/consumer")
  execute_process(COMMAND ${step} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer step failed (${rc}): ${step}")
  endif()
endforeach()
