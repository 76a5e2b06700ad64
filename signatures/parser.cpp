// Placeholder until the parser lands.
#include "jitffi/signature.h"

namespace jitffi {

Signature Signature::parse(std::string_view text, Abi) {
  throw ParseError(std::string(text), 0, "a parser (not written yet)");
}

Scope::Scope(Abi abi) : abi_(abi) {}

void Scope::declare(std::string_view text) {
  throw ParseError(std::string(text), 0, "a parser (not written yet)");
}

TypeRef Scope::type(std::string_view text) const {
  throw ParseError(std::string(text), 0, "a parser (not written yet)");
}

Signature Scope::signature(std::string_view text) const {
  throw ParseError(std::string(text), 0, "a parser (not written yet)");
}

void Scope::define(std::string name, TypeRef type) {
  typedefs_[std::move(name)] = std::move(type);
}

TypeRef Scope::find_typedef(std::string_view name) const {
  auto it = typedefs_.find(name);
  return it == typedefs_.end() ? nullptr : it->second;
}

TypeRef Scope::find_tag(std::string_view tag) const {
  auto it = tags_.find(tag);
  return it == tags_.end() ? nullptr : it->second;
}

}  // namespace jitffi
