# gcc notes that passing a union holding a long double changed in gcc 4.4; the tests use
# today's ABI on purpose (the compiled test library is the judge).
if(TARGET jitffi_test_api)
  target_compile_options(jitffi_test_api PRIVATE -Wno-psabi)
endif()
