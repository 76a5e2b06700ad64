// Runs a fuzz target's LLVMFuzzerTestOneInput over files and directories without libFuzzer, so
// that the normal (gcc, ASan) builds check the seed corpus and the regression inputs against the
// same invariants: a violation aborts, which fails the ctest test.
//
//   jitffi_fuzz_replay_<target> PATH...     (a directory: every file in it)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path &p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
    return false;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(text.data()), text.size());
  return true;
}

}  // namespace

int main(int argc, char **argv) {
  std::size_t count = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      std::vector<std::filesystem::path> files;
      for (const auto &e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
      if (files.empty()) {
        std::fprintf(stderr, "replay: %s holds no inputs\n", p.c_str());
        ok = false;
      }
      for (const auto &f : files) ok = run_file(f) && ok, ++count;
    } else {
      ok = run_file(p) && ok;
      ++count;
    }
  }
  std::printf("replay: %zu inputs, %s\n", count, ok ? "all hold the invariants" : "FAILED");
  return ok && count > 0 ? 0 : 1;
}
