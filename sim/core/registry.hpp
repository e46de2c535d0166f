// A small name -> factory registry for user-selectable physics (ARCHITECTURE §3).
//
// Filled by explicit register_builtin_*() calls (static libraries drop self-registering
// objects); an unknown name is an error that lists the valid names.
#pragma once

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cosmograd::sim {

/// Thread-safe map from a name to a factory (any copyable callable); `kind` names the
/// choice in error messages, e.g. "transfer function".
template <class Factory>
class Registry {
 public:
  /// An empty registry; `kind` is used in messages ("unknown <kind> 'foo' ...").
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Adds or replaces `name`; returns true when the name was new. Empty names are rejected.
  bool add(const std::string& name, Factory factory) {
    if (name.empty()) throw std::invalid_argument("empty " + kind_ + " name");
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.insert_or_assign(name, std::move(factory)).second;
  }

  /// The factory for `name` (a copy, safe against later add()); throws std::invalid_argument
  /// "unknown <kind> 'name' (valid: a, b, c)".
  Factory get(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      std::string valid;
      for (const auto& entry : entries_) {
        if (!valid.empty()) valid += ", ";
        valid += entry.first;
      }
      if (valid.empty()) valid = "none registered";
      throw std::invalid_argument("unknown " + kind_ + " '" + name + "' (valid: " + valid + ")");
    }
    return it->second;
  }

  /// True when `name` is registered.
  bool contains(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.count(name) != 0;
  }

  /// Registered names in lexicographic order.
  std::vector<std::string> names() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& entry : entries_) out.push_back(entry.first);
    return out;
  }

  /// What this registry selects, e.g. "transfer function".
  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
  std::map<std::string, Factory> entries_;
  mutable std::mutex mutex_;
};

}  // namespace cosmograd::sim
