// libcurl through jitffi: libcurl.so.4 (or libcurl-gnutls.so.4) opened at run time, declared by
// C prototypes in curl.cpp. curl_easy_setopt and curl_easy_getinfo are called as the variadic
// functions they are: the type of the one variadic argument comes from the option number's range
// (CURLOPTTYPE_*) or the CURLINFO type bits, never from a fixed prototype.
//
//   jitffi::bindings::curl::Curl curl;             // $JITFFI_CURL_PATH overrides the search
//   jitffi::bindings::curl::Easy easy(curl);
//   easy.url("http://127.0.0.1:8080/hello").follow_redirects(true);
//   easy.perform();                                // throws curl::Error with curl's message
//   long code = easy.response_code();
//   std::string body = easy.body();
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "jitffi/bindings/common.h"

namespace jitffi::bindings::curl {

// CURLOPTTYPE_* ranges: an option number is its type base plus an index.
enum class OptionType { Long, ObjectPoint, FunctionPoint, OffT, Blob };
OptionType option_type(int option);  // throws BindingError outside 0..49999
// CURLINFO_* type bits (CURLINFO_TYPEMASK 0xf00000).
enum class InfoType { String, Long, Double, Slist, OffT };
InfoType info_type(int info);  // throws BindingError for other type bits

// Option numbers from curl.h (stable: curl never renumbers an option).
namespace opt {
inline constexpr int WriteData = 10001, Url = 10002, ErrorBuffer = 10010, WriteFunction = 20011,
                     PostFields = 10015, UserAgent = 10018, HttpHeader = 10023, HeaderData = 10029,
                     CookieFile = 10031, CustomRequest = 10036, Verbose = 41, Header = 42,
                     NoProgress = 43, FailOnError = 45, Post = 47, FollowLocation = 52,
                     XferInfoData = 10057, PostFieldSize = 60, MaxRedirs = 68, ForbidReuse = 75,
                     HeaderFunction = 20079, HttpGet = 80, NoSignal = 99, AcceptEncoding = 10102,
                     Private = 10103, MaxFileSizeLarge = 30117, PostFieldSizeLarge = 30120,
                     TcpNoDelay = 121, TimeoutMs = 155, ConnectTimeoutMs = 156,
                     CopyPostFields = 10165, XferInfoFunction = 20219, CaInfoBlob = 40309;
}  // namespace opt
namespace info {
inline constexpr int EffectiveUrl = 0x100001, ResponseCode = 0x200002, TotalTime = 0x300003,
                     ConnectTime = 0x300005, SizeUploadT = 0x600007, SizeDownloadT = 0x600008,
                     HeaderSize = 0x20000b, RequestSize = 0x20000c,
                     ContentLengthDownloadT = 0x60000f, ContentType = 0x100012,
                     RedirectCount = 0x200014, Private = 0x100015, NumConnects = 0x20001a,
                     CookieList = 0x40001c, RedirectUrl = 0x10001f, PrimaryIp = 0x100020,
                     PrimaryPort = 0x200028, TotalTimeT = 0x600032, NameLookupTimeT = 0x600033,
                     ConnectTimeT = 0x600034, StartTransferTimeT = 0x600036;
}  // namespace info
// A few CURLcode values.
inline constexpr int kOk = 0, kUnsupportedProtocol = 1, kCouldntConnect = 7, kWriteError = 23,
                     kOperationTimedOut = 28, kAbortedByCallback = 42, kTooManyRedirects = 47,
                     kHttpReturnedError = 22, kFileSizeExceeded = 63;

// The foreign functions, resolved when the library is opened (prototypes in curl.cpp).
struct Api {
  Library lib;
  Function global_init, global_cleanup, version, easy_init, easy_cleanup, easy_reset, easy_setopt,
      easy_perform, easy_getinfo, easy_strerror, slist_append, slist_free_all, multi_init,
      multi_cleanup, multi_add_handle, multi_remove_handle, multi_perform, multi_poll, multi_wait,
      multi_info_read, multi_strerror;
  Signature write_cb = unresolved_signature(), xferinfo_cb = unresolved_signature();
  StructLayout slist, msg, blob;
  TypeRef long_type, off_type;

  // curl_easy_setopt/curl_easy_getinfo prepared for this call's variadic argument type.
  Function variadic(const Function &fn, TypeRef vararg) const;

  Api() = default;
  Api(const Api &) = delete;
  Api &operator=(const Api &) = delete;
  ~Api();  // curl_global_cleanup, paired with the curl_global_init of Curl's constructor

 private:
  VariadicCache setopt_cache_, getinfo_cache_;
};

// A libcurl error: the CURLcode (or CURLMcode for the multi interface), curl's own text for it
// (curl_easy_strerror / curl_multi_strerror) and, when curl wrote one, the transfer's detailed
// message from CURLOPT_ERRORBUFFER. what(): "curl: Timeout was reached (code 28): Operation timed
// out after 200 milliseconds with 0 bytes received".
class Error : public jitffi::Error {
 public:
  Error(int code, std::string message, std::string detail, bool multi = false);
  int code() const noexcept { return code_; }
  const std::string &message() const noexcept { return message_; }
  const std::string &detail() const noexcept { return detail_; }
  bool is_multi() const noexcept { return multi_; }

 private:
  int code_;
  std::string message_, detail_;
  bool multi_;
};

class Curl {
 public:
  // path: an explicit library file; empty means $JITFFI_CURL_PATH, then libcurl.so.4,
  // libcurl-gnutls.so.4, libcurl.so.
  explicit Curl(std::string_view path = {});
  std::string version() const;  // "libcurl/7.88.1 OpenSSL/3.0.11 ..."
  std::string strerror(int code) const;
  std::string multi_strerror(int code) const;
  const Api &api() const noexcept { return *api_; }
  std::shared_ptr<const Api> shared_api() const noexcept { return api_; }

 private:
  std::shared_ptr<const Api> api_;
};

// A curl_slist (for CURLOPT_HTTPHEADER and friends). Move-only; freed with curl_slist_free_all.
class Slist {
 public:
  explicit Slist(const Curl &curl, std::initializer_list<std::string_view> items = {});
  ~Slist();
  Slist(Slist &&other) noexcept;
  Slist &operator=(Slist &&other) noexcept;
  Slist &append(std::string_view item);  // curl copies the string
  void *get() const noexcept { return head_; }
  std::vector<std::string> items() const;
  // Reads any curl_slist chain into strings.
  static std::vector<std::string> read(const Api &api, const void *list);

 private:
  std::shared_ptr<const Api> api_;
  void *head_ = nullptr;
};

// By index: 0 string, 1 long, 2 double, 3 slist, 4 curl_off_t (long and curl_off_t may be the
// same C++ type, so read them with std::get<1>/std::get<4>).
using InfoValue = std::variant<std::string, long, double, std::vector<std::string>, std::int64_t>;

class Multi;

// An easy handle. The response body and header lines are collected unless on_write/on_header
// replace the collectors. Callbacks are closures owned by the handle (freed with it); a callback
// that throws aborts the transfer and perform() rethrows its exception.
class Easy {
 public:
  explicit Easy(const Curl &curl);
  ~Easy();
  Easy(Easy &&other) noexcept;
  Easy &operator=(Easy &&other) noexcept;

  // curl_easy_setopt with the variadic argument type of the option's range; using the wrong
  // setter for an option's range throws BindingError naming the option.
  Easy &set(int option, long value);                         // CURLOPTTYPE_LONG
  Easy &set(int option, std::string_view value);             // string OBJECTPOINT (kept)
  Easy &set_pointer(int option, void *value);                // OBJECTPOINT / FUNCTIONPOINT
  Easy &set_off(int option, std::int64_t value);             // CURLOPTTYPE_OFF_T
  Easy &set_blob(int option, std::span<const std::byte> v);  // CURLOPTTYPE_BLOB (copied)

  Easy &url(std::string_view url) { return set(opt::Url, url); }
  Easy &follow_redirects(bool on, long max = 10);
  Easy &timeout(std::chrono::milliseconds total);
  Easy &connect_timeout(std::chrono::milliseconds t);
  Easy &post(std::string_view body);  // POSTFIELDSIZE_LARGE + COPYPOSTFIELDS: binary-safe
  Easy &headers(Slist list);          // CURLOPT_HTTPHEADER; the list lives with the handle
  Easy &on_write(std::function<void(std::string_view chunk)> fn);
  Easy &on_header(std::function<void(std::string_view line)> fn);
  // Progress (CURLOPT_XFERINFOFUNCTION); return false to abort the transfer.
  Easy &on_progress(std::function<bool(std::int64_t dltotal, std::int64_t dlnow,
                                       std::int64_t ultotal, std::int64_t ulnow)>
                        fn);

  // curl_easy_perform; throws curl::Error (or the callback's exception).
  void perform();
  // Clears the collected body and headers (before a new transfer on the same handle).
  void clear_response();

  const std::string &body() const noexcept;
  const std::vector<std::string> &header_lines() const noexcept;  // without CRLF
  // The last response's header value (case-insensitive name), or "".
  std::string header(std::string_view name) const;

  // curl_easy_getinfo, with the pointee type chosen by the CURLINFO type bits.
  InfoValue info(int what) const;
  long info_long(int what) const;
  double info_double(int what) const;
  std::int64_t info_off(int what) const;
  std::string info_string(int what) const;  // "" for NULL
  std::vector<std::string> info_slist(int what) const;

  long response_code() const { return info_long(info::ResponseCode); }
  std::string content_type() const { return info_string(info::ContentType); }

  void *raw() const noexcept;
  const Api &api() const noexcept;

  // Throws for a finished transfer's CURLcode (a callback's stored exception first); for the
  // results the multi interface reports.
  void check(int code);

  struct State;

 private:
  friend class Multi;
  std::unique_ptr<State> s_;
};

// A multi handle running several easy transfers at once.
class Multi {
 public:
  explicit Multi(const Curl &curl);
  ~Multi();  // removes the easy handles still added
  Multi(const Multi &) = delete;
  Multi &operator=(const Multi &) = delete;

  void add(Easy &easy);  // the Easy must outlive its time in the multi handle
  void remove(Easy &easy);
  int perform();  // curl_multi_perform: transfers still running
  // Waits for activity (curl_multi_poll, or curl_multi_wait before 7.66): number of fds ready.
  int poll(std::chrono::milliseconds timeout);

  struct Done {
    Easy *easy;
    int result;  // CURLcode
  };
  std::vector<Done> info_read();
  // Runs every added transfer to completion within `limit` and removes each finished one;
  // returns them in completion order. Throws BindingError when the limit passes first.
  std::vector<Done> run(std::chrono::milliseconds limit);

 private:
  std::shared_ptr<const Api> api_;
  void *multi_ = nullptr;
  std::vector<Easy::State *> added_;
};

}  // namespace jitffi::bindings::curl
