# The fuzz targets' invariants in the normal builds too: each target's LLVMFuzzerTestOneInput
# with a plain main (replay_main.cpp) over the seed corpus and the regression inputs.
foreach(_t fuzz_parse fuzz_pipeline)
  add_executable(jitffi_replay_${_t} ${CMAKE_CURRENT_LIST_DIR}/${_t}.cpp
                                     ${CMAKE_CURRENT_LIST_DIR}/replay_main.cpp)
  target_link_libraries(jitffi_replay_${_t} PRIVATE jitffi_api)
  add_test(NAME fuzz.replay_${_t}
           COMMAND jitffi_replay_${_t} ${CMAKE_CURRENT_LIST_DIR}/corpus
                   ${CMAKE_CURRENT_LIST_DIR}/regressions)
  set_tests_properties(fuzz.replay_${_t} PROPERTIES LABELS fuzz TIMEOUT 600)
endforeach()
