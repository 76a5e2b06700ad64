# Runs jitffi_example_bson_json on examples/data (ctest: example.bson_json.{auto,libffi}):
#   cmake -DEXE=<converter> -DDATA=<examples/data> -DWORK=<scratch dir> [-DEMULATOR=a|b]
#     -P bson_json_check.cmake
# JSON -> BSON file -> canonical and relaxed extended JSON, each compared byte for byte with the
# expected text (written from the Extended JSON specification, not by the program); the
# value-by-value round trip; malformed JSON, a truncated and a corrupt BSON file, each a non-zero
# exit with the error text. A missing libbson prints "SKIP: ..." (the test's skip pattern).
file(MAKE_DIRECTORY ${WORK})
set(_bson ${WORK}/sample.bson)
file(REMOVE ${_bson} ${WORK}/malformed.bson)

function(run expect_rc out_var err_var)
  string(REPLACE "|" ";" emulator "${EMULATOR}")  # a cross build's qemu, as a list
  execute_process(COMMAND ${emulator} ${EXE} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
  if(out MATCHES "^SKIP: ")
    message("${out}")
    return()  # the caller checks nothing more: ctest sees the skip pattern
  endif()
  if(expect_rc STREQUAL "fail")
    if(rc EQUAL 0 OR NOT rc MATCHES "^[0-9]+$")
      message(FATAL_ERROR "${ARGN}: expected a non-zero exit, got '${rc}'\n${out}${err}")
    endif()
  elseif(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN}: exit '${rc}'\n${out}${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
  set(${err_var} "${err}" PARENT_SCOPE)
endfunction()

function(expect_equal what got want_file)
  file(READ ${want_file} want)
  if(NOT got STREQUAL want)
    message(FATAL_ERROR "${what} differs from ${want_file}:\n got: ${got}\nwant: ${want}")
  endif()
  message(STATUS "${what}: equal to ${want_file}")
endfunction()

function(expect_error what err pattern)
  if(NOT err MATCHES "${pattern}")
    message(FATAL_ERROR "${what}: stderr does not match '${pattern}':\n${err}")
  endif()
  message(STATUS "${what}: ${err}")
endfunction()

run(ok out err to-bson ${DATA}/bson_sample.json ${_bson})
if(out MATCHES "^SKIP: ")
  return()
endif()
file(SIZE ${_bson} _size)
if(NOT err MATCHES "${_size} bytes, 13 top-level keys")
  message(FATAL_ERROR "to-bson wrote ${_size} bytes: ${err}")
endif()
run(ok out err to-json ${_bson})
expect_equal("canonical extended JSON" "${out}" ${DATA}/bson_sample.canonical.json)
run(ok out err to-json --relaxed ${_bson})
expect_equal("relaxed extended JSON" "${out}" ${DATA}/bson_sample.relaxed.json)
run(ok out err round-trip ${DATA}/bson_sample.json)
set(_want "canonical: 22 values, ${_size} bytes, byte-equal\nrelaxed: 22 values equal (numbers by value; bytes differ)\n")
if(NOT out STREQUAL _want)
  message(FATAL_ERROR "round-trip printed:\n${out}\nwanted:\n${_want}")
endif()
message(STATUS "round trip: ${out}")

run(fail out err to-bson ${DATA}/bson_malformed.json ${WORK}/malformed.bson)
expect_error("malformed JSON" "${err}"
  "Got parse error at \",\", position 21: \"STRAY_TOKEN\" \\(domain 1, code 1\\)")
if(EXISTS ${WORK}/malformed.bson)
  message(FATAL_ERROR "malformed JSON left an output file behind")
endif()
run(fail out err to-json ${DATA}/bson_truncated.bson)
expect_error("truncated BSON" "${err}" "document at byte 0 claims 260 bytes, 100 left")
run(fail out err to-json ${DATA}/bson_corrupt.bson)
expect_error("corrupt BSON" "${err}" "bson: corrupt BSON \\(domain 3")
