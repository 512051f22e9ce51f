#include "server/engine/backend_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace attnserve {
namespace {

std::string KnownNames(const std::vector<BackendDescription>& descriptions) {
  return absl::StrJoin(descriptions, ", ",
                       [](std::string* out, const BackendDescription& d) { out->append(d.name); });
}

}  // namespace

absl::StatusOr<BackendRegistry> BackendRegistry::Create(
    std::vector<std::unique_ptr<Backend>> backends, absl::string_view default_backend) {
  BackendRegistry registry;
  for (const std::unique_ptr<Backend>& backend : backends) {
    registry.descriptions_.push_back(backend->Describe());
  }
  registry.backends_ = std::move(backends);
  registry.default_name_ = std::string(default_backend);
  if (!registry.Select(default_backend).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--backend=", default_backend, " is not one of: ", KnownNames(registry.descriptions_)));
  }
  return registry;
}

absl::StatusOr<BackendRegistry::Selected> BackendRegistry::Select(
    absl::string_view requested) const {
  const absl::string_view name = requested.empty() ? absl::string_view(default_name_) : requested;
  for (size_t i = 0; i < backends_.size(); ++i) {
    if (descriptions_[i].name == name) return Selected{backends_[i].get(), &descriptions_[i].name};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("backend=\"", requested, "\" is not one of: ", KnownNames(descriptions_)));
}

}  // namespace attnserve
