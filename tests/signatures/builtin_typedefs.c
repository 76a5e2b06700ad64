// The compiler's side of test_builtin_typedefs.cpp: the C library's and zlib's typedefs as the
// system headers declare them for this target (the host, or aarch64 in the cross build), so that
// the parser's built-in values are judged by the compiler, not by our reading of the headers.
#define _GNU_SOURCE  // off64_t
#include "builtin_typedefs.h"

#include <dirent.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#if __has_include(<zlib.h>)
#include <zlib.h>
#define BT_HAVE_ZLIB 1
#else
#define BT_HAVE_ZLIB 0
#endif

// An integer or pointer typedef: size, alignment and, for integers, signedness ((T)-1 < 0 is
// the test; that it is constant for unsigned types is the point).
#pragma GCC diagnostic ignored "-Wtype-limits"
// Laid out as tables, several names a line.
// clang-format off
#define BT_INT(T) {#T, sizeof(T), _Alignof(T), (T)-1 < (T)0, 0},
#define BT_PTR(T) {#T, sizeof(T), _Alignof(T), 0, 1},

const struct bt_scalar jitffi_bt_libc[] = {
    BT_INT(time_t) BT_INT(clock_t) BT_INT(pid_t) BT_INT(uid_t) BT_INT(gid_t) BT_INT(id_t)
    BT_INT(off_t) BT_INT(off64_t) BT_INT(mode_t) BT_INT(socklen_t) BT_INT(wint_t)
    BT_INT(wchar_t) BT_INT(suseconds_t) BT_INT(useconds_t) BT_INT(ino_t) BT_INT(dev_t)
    BT_INT(nlink_t) BT_INT(blksize_t) BT_INT(blkcnt_t) BT_INT(key_t) BT_INT(sig_atomic_t)
    BT_INT(size_t) BT_INT(ssize_t) BT_INT(ptrdiff_t) BT_INT(intptr_t) BT_INT(uintptr_t)
    BT_INT(intmax_t) BT_INT(uintmax_t) BT_INT(int8_t) BT_INT(uint8_t) BT_INT(int16_t)
    BT_INT(uint16_t) BT_INT(int32_t) BT_INT(uint32_t) BT_INT(int64_t) BT_INT(uint64_t)
};
const size_t jitffi_bt_libc_count = sizeof jitffi_bt_libc / sizeof jitffi_bt_libc[0];

#if BT_HAVE_ZLIB
const struct bt_scalar jitffi_bt_zlib[] = {
    BT_INT(Byte) BT_INT(Bytef) BT_INT(uInt) BT_INT(uIntf) BT_INT(uLong) BT_INT(uLongf)
    BT_INT(intf) BT_INT(charf) BT_INT(z_size_t) BT_INT(z_crc_t) BT_INT(z_off_t)
    BT_PTR(voidp) BT_PTR(voidpf) BT_PTR(voidpc) BT_PTR(gzFile) BT_PTR(z_streamp)
    BT_PTR(gz_headerp) BT_PTR(alloc_func) BT_PTR(free_func) BT_PTR(in_func) BT_PTR(out_func)
};
const size_t jitffi_bt_zlib_count = sizeof jitffi_bt_zlib / sizeof jitffi_bt_zlib[0];
#else
const struct bt_scalar jitffi_bt_zlib[1];
const size_t jitffi_bt_zlib_count = 0;
#endif

#define BT_DIV(T) \
  {#T, sizeof(T), _Alignof(T), offsetof(T, quot), offsetof(T, rem), sizeof(((T *)0)->quot)},
const struct bt_div jitffi_bt_div[] = {BT_DIV(div_t) BT_DIV(ldiv_t) BT_DIV(lldiv_t)};
const size_t jitffi_bt_div_count = 3;
// clang-format on

// FILE and DIR are declared (the pointers below compile) but their layout is the library's own.
FILE *jitffi_bt_file_ptr;
DIR *jitffi_bt_dir_ptr;
