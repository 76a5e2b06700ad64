// libuv filesystem operations: one request type for all, run synchronously (no callback: libuv
// does the work in the calling thread) or on the loop's thread pool.
#include <limits>

#include "jitffi/bindings/uv.h"
#include "uv_internal.h"

namespace jitffi::bindings::uv {

namespace {

using detail::FsReq;
using detail::LoopCore;

// Starts the operation: (loop, req, cb) -> libuv's return value.
using Launch = std::function<int(void *loop, void *req, void *cb)>;

std::unique_ptr<FsReq> new_req(LoopCore &core) {
  auto r = std::make_unique<FsReq>(core.api->req_size.invoke<std::size_t>(kFsReq));
  detail::set_data(r->req, r.get());
  return r;
}

// Synchronous: the result (>= 0) after `finish`, or uv::Error.
std::int64_t run_sync(LoopCore &core, std::unique_ptr<FsReq> r, const Launch &launch,
                      std::string_view call) {
  const Api &a = *core.api;
  int rc = launch(core.loop, r->req, nullptr);
  std::int64_t result = rc < 0 ? rc : a.fs_get_result.invoke<std::int64_t>(r->req);
  if (result >= 0 && r->finish) r->finish(*r, result);
  a.fs_req_cleanup.invoke<void>(r->req);
  if (result < 0) a.fail(static_cast<int>(result), call);
  return result;
}

// Asynchronous: the request is owned by libuv until the loop's fs closure runs `finish`.
void run_async(LoopCore &core, std::unique_ptr<FsReq> r, const Launch &launch,
               std::string_view call) {
  const Api &a = *core.api;
  int rc = launch(core.loop, r->req, core.fs_cb.code());
  if (rc < 0) {
    a.fs_req_cleanup.invoke<void>(r->req);
    a.fail(rc, call);
  }
  r.release();
}

// Points the request's uv_buf_t at its own data buffer.
void *set_buf(const Api &a, FsReq &r) {
  a.buf.set<char *>(r.buf, "base", r.data.data());
  a.buf.set<std::size_t>(r.buf, "len", r.data.size());
  return r.buf;
}

Stat read_stat(const Api &a, void *req) {
  const void *st = a.fs_get_statbuf.invoke<void *>(req);
  Stat s;
  s.size = a.stat.get<std::uint64_t>(st, "st_size");
  s.mode = a.stat.get<std::uint64_t>(st, "st_mode");
  s.nlink = a.stat.get<std::uint64_t>(st, "st_nlink");
  s.ino = a.stat.get<std::uint64_t>(st, "st_ino");
  s.mtime_sec = a.stat.get<std::int64_t>(st, "st_mtim.tv_sec");
  return s;
}

std::vector<DirEntry> read_dir(const Api &a, void *req) {
  std::vector<DirEntry> out;
  alignas(8) unsigned char ent[32] = {};
  if (a.dirent.size() > sizeof ent) throw BindingError("uv: uv_dirent_t larger than expected");
  for (;;) {
    int rc = a.fs_scandir_next.invoke<int>(req, static_cast<void *>(ent));
    if (rc == kEOF) break;
    a.check(rc, "uv_fs_scandir_next");
    const char *name = a.dirent.get<const char *>(ent, "name");
    out.push_back({name ? name : "", static_cast<DirentType>(a.dirent.get<int>(ent, "type"))});
  }
  return out;
}

Launch path_op(const Function &fn, std::string path) {
  return [&fn, path = std::move(path)](void *loop, void *req, void *cb) {
    return fn.invoke<int>(loop, req, static_cast<const char *>(path.c_str()), cb);
  };
}

Launch open_op(const Api &a, std::string path, int flags, int mode) {
  return [&a, path = std::move(path), flags, mode](void *loop, void *req, void *cb) {
    return a.fs_open.invoke<int>(loop, req, static_cast<const char *>(path.c_str()), flags, mode,
                                 cb);
  };
}

Launch rw_op(const Function &fn, FsReq &r, int fd, std::int64_t offset) {
  void *buf = r.buf;
  return [&fn, buf, fd, offset](void *loop, void *req, void *cb) {
    return fn.invoke<int>(loop, req, fd, buf, 1u, offset, cb);
  };
}

Launch mkdir_op(const Api &a, std::string path, int mode) {
  return [&a, path = std::move(path), mode](void *loop, void *req, void *cb) {
    return a.fs_mkdir.invoke<int>(loop, req, static_cast<const char *>(path.c_str()), mode, cb);
  };
}

Launch scandir_op(const Api &a, std::string path) {
  return [&a, path = std::move(path)](void *loop, void *req, void *cb) {
    return a.fs_scandir.invoke<int>(loop, req, static_cast<const char *>(path.c_str()), 0, cb);
  };
}

Launch close_op(const Api &a, int fd) {
  return [&a, fd](void *loop, void *req, void *cb) {
    return a.fs_close.invoke<int>(loop, req, fd, cb);
  };
}

void check_size(std::size_t n) {
  if (n > std::numeric_limits<unsigned>::max())
    throw BindingError("uv::Fs: more than 4 GiB in one request");
}

}  // namespace

// ---- synchronous ----

int Fs::open(std::string_view path, int flags, int mode) {
  LoopCore &c = loop_->core();
  return static_cast<int>(
      run_sync(c, new_req(c), open_op(*c.api, std::string(path), flags, mode), "uv_fs_open"));
}

void Fs::close(int fd) {
  LoopCore &c = loop_->core();
  run_sync(c, new_req(c), close_op(*c.api, fd), "uv_fs_close");
}

std::size_t Fs::write(int fd, std::string_view data, std::int64_t offset) {
  LoopCore &c = loop_->core();
  check_size(data.size());
  auto r = new_req(c);
  r->data.assign(data);
  set_buf(*c.api, *r);
  Launch launch = rw_op(c.api->fs_write, *r, fd, offset);
  return static_cast<std::size_t>(run_sync(c, std::move(r), launch, "uv_fs_write"));
}

std::string Fs::read(int fd, std::size_t max, std::int64_t offset) {
  LoopCore &c = loop_->core();
  check_size(max);
  auto r = new_req(c);
  r->data.resize(max);
  set_buf(*c.api, *r);
  std::string out;
  r->finish = [&out](FsReq &req, std::int64_t n) {
    out = std::move(req.data);
    out.resize(static_cast<std::size_t>(n));
  };
  Launch launch = rw_op(c.api->fs_read, *r, fd, offset);
  run_sync(c, std::move(r), launch, "uv_fs_read");
  return out;
}

Stat Fs::stat(std::string_view path) {
  LoopCore &c = loop_->core();
  auto r = new_req(c);
  Stat out;
  r->finish = [&out, &c](FsReq &req, std::int64_t) { out = read_stat(*c.api, req.req); };
  run_sync(c, std::move(r), path_op(c.api->fs_stat, std::string(path)),
           "uv_fs_stat(" + std::string(path) + ")");
  return out;
}

void Fs::unlink(std::string_view path) {
  LoopCore &c = loop_->core();
  run_sync(c, new_req(c), path_op(c.api->fs_unlink, std::string(path)),
           "uv_fs_unlink(" + std::string(path) + ")");
}

void Fs::mkdir(std::string_view path, int mode) {
  LoopCore &c = loop_->core();
  run_sync(c, new_req(c), mkdir_op(*c.api, std::string(path), mode),
           "uv_fs_mkdir(" + std::string(path) + ")");
}

void Fs::rmdir(std::string_view path) {
  LoopCore &c = loop_->core();
  run_sync(c, new_req(c), path_op(c.api->fs_rmdir, std::string(path)),
           "uv_fs_rmdir(" + std::string(path) + ")");
}

void Fs::rename(std::string_view from, std::string_view to) {
  LoopCore &c = loop_->core();
  const Api &a = *c.api;
  Launch launch = [&a, f = std::string(from), t = std::string(to)](void *loop, void *req,
                                                                   void *cb) {
    return a.fs_rename.invoke<int>(loop, req, static_cast<const char *>(f.c_str()),
                                   static_cast<const char *>(t.c_str()), cb);
  };
  run_sync(c, new_req(c), launch, "uv_fs_rename(" + std::string(from) + ")");
}

std::vector<DirEntry> Fs::scandir(std::string_view path) {
  LoopCore &c = loop_->core();
  auto r = new_req(c);
  std::vector<DirEntry> out;
  r->finish = [&out, &c](FsReq &req, std::int64_t) { out = read_dir(*c.api, req.req); };
  run_sync(c, std::move(r), scandir_op(*c.api, std::string(path)),
           "uv_fs_scandir(" + std::string(path) + ")");
  return out;
}

// ---- asynchronous ----

namespace {

void result_only(FsReq &r, Fs::ResultFn done) {
  r.finish = [done = std::move(done)](FsReq &, std::int64_t result) {
    if (done) done(result);
  };
}

}  // namespace

void Fs::open(std::string_view path, int flags, int mode, ResultFn done) {
  LoopCore &c = loop_->core();
  auto r = new_req(c);
  result_only(*r, std::move(done));
  run_async(c, std::move(r), open_op(*c.api, std::string(path), flags, mode), "uv_fs_open");
}

void Fs::close(int fd, ResultFn done) {
  LoopCore &c = loop_->core();
  auto r = new_req(c);
  result_only(*r, std::move(done));
  run_async(c, std::move(r), close_op(*c.api, fd), "uv_fs_close");
}

void Fs::write(int fd, std::string data, std::int64_t offset, ResultFn done) {
  LoopCore &c = loop_->core();
  check_size(data.size());
  auto r = new_req(c);
  r->data = std::move(data);
  set_buf(*c.api, *r);
  result_only(*r, std::move(done));
  Launch launch = rw_op(c.api->fs_write, *r, fd, offset);
  run_async(c, std::move(r), launch, "uv_fs_write");
}

void Fs::read(int fd, std::size_t max, std::int64_t offset,
              std::function<void(std::int64_t, std::string)> done) {
  LoopCore &c = loop_->core();
  check_size(max);
  auto r = new_req(c);
  r->data.resize(max);
  set_buf(*c.api, *r);
  r->finish = [done = std::move(done)](FsReq &req, std::int64_t n) {
    std::string out;
    if (n > 0) {
      out = std::move(req.data);
      out.resize(static_cast<std::size_t>(n));
    }
    if (done) done(n, std::move(out));
  };
  Launch launch = rw_op(c.api->fs_read, *r, fd, offset);
  run_async(c, std::move(r), launch, "uv_fs_read");
}

void Fs::stat(std::string_view path, std::function<void(std::int64_t, Stat)> done) {
  LoopCore &c = loop_->core();
  auto r = new_req(c);
  r->finish = [done = std::move(done), &c](FsReq &req, std::int64_t result) {
    Stat st;
    if (result >= 0) st = read_stat(*c.api, req.req);
    if (done) done(result, st);
  };
  run_async(c, std::move(r), path_op(c.api->fs_stat, std::string(path)), "uv_fs_stat");
}

void Fs::unlink(std::string_view path, ResultFn done) {
  LoopCore &c = loop_->core();
  auto r = new_req(c);
  result_only(*r, std::move(done));
  run_async(c, std::move(r), path_op(c.api->fs_unlink, std::string(path)), "uv_fs_unlink");
}

void Fs::mkdir(std::string_view path, int mode, ResultFn done) {
  LoopCore &c = loop_->core();
  auto r = new_req(c);
  result_only(*r, std::move(done));
  run_async(c, std::move(r), mkdir_op(*c.api, std::string(path), mode), "uv_fs_mkdir");
}

void Fs::scandir(std::string_view path,
                 std::function<void(std::int64_t, std::vector<DirEntry>)> done) {
  LoopCore &c = loop_->core();
  auto r = new_req(c);
  r->finish = [done = std::move(done), &c](FsReq &req, std::int64_t result) {
    std::vector<DirEntry> entries;
    if (result >= 0) entries = read_dir(*c.api, req.req);
    if (done) done(result, std::move(entries));
  };
  run_async(c, std::move(r), scandir_op(*c.api, std::string(path)), "uv_fs_scandir");
}

}  // namespace jitffi::bindings::uv
