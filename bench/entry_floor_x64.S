# Exact-shape loops and stubs for jitffi_entry_floor (x86-64 SysV): the loop around the call is
# the same bytes for every row, so rows differ only in what the call reaches.
  .text
# uint64_t floor_loop(void *callee, long n, void *fn, void *in): n times callee(fn, in); TSC ticks.
  .p2align 6
  .globl floor_loop
  .type floor_loop, @function
floor_loop:
  push %rbx
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rdi, %rbx
  mov %rsi, %r12
  mov %rdx, %r14
  mov %rcx, %r13
  rdtsc
  shl $32, %rdx
  or %rax, %rdx
  mov %rdx, %r15
  .p2align 6
1:
  mov %r14, %rdi
  mov %r13, %rsi
  call *%rbx
  dec %r12
  jnz 1b
  rdtsc
  shl $32, %rdx
  or %rdx, %rax
  sub %r15, %rax
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbx
  ret
  .size floor_loop, .-floor_loop

# The value entry of void() as the JIT emits it, written by hand.
  .p2align 6
  .globl floor_value_s1
  .type floor_value_s1, @function
floor_value_s1:
  jmp *%rdi
  .size floor_value_s1, .-floor_value_s1

# The value entry of int(int, int) as the JIT emits it, written by hand.
  .p2align 6
  .globl floor_value_s2
  .type floor_value_s2, @function
floor_value_s2:
  mov %rdi, %r10
  mov (%rsi), %rdi
  mov (%rdi), %edi
  mov 8(%rsi), %rsi
  mov (%rsi), %esi
  jmp *%r10
  .size floor_value_s2, .-floor_value_s2
  .section .note.GNU-stack,"",@progbits
