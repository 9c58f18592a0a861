#include "analyze/analyze.h"

#include <algorithm>
#include <map>

#include "analyze/context.h"
#include "jwks/key_source.h"

namespace portcullis::analyze {
namespace {

// A key source that never loads: validation builds the snapshot for its diagnostics only, so
// it neither parses inline key sets again (the loader checked them) nor fetches jwksUri.
class OfflineKeySource : public jwks::KeySource {
 public:
  explicit OfflineKeySource(std::string origin) : origin_(std::move(origin)) {}
  std::string describe() const override { return "key set of " + origin_ + " (not loaded)"; }

 private:
  std::string origin_;
};

class OfflineKeys : public jwks::KeySourceProvider {
 public:
  std::shared_ptr<jwks::KeySource> sourceFor(const config::JwtRule& rule,
                                             const std::string& origin) override {
    return std::make_shared<OfflineKeySource>(origin);
  }
};

Finding fromDiagnostic(config::Diagnostic diagnostic) {
  Finding finding;
  finding.diagnostic = std::move(diagnostic);
  return finding;
}

bool sameSubject(const config::Diagnostic& a, const config::Diagnostic& b) {
  return a.object == b.object && a.field == b.field && a.location.file == b.location.file &&
         a.location.line == b.location.line;
}

// Orders findings by file (in load order), line and column. Findings without a file, such as
// "no Gateway selects this gateway", come first.
void sortByLocation(std::vector<Finding>& findings, const std::vector<std::string>& files) {
  std::map<std::string, size_t> file_order;
  for (size_t i = 0; i < files.size(); ++i) {
    file_order.emplace(files[i], i + 1);
  }
  auto key = [&](const Finding& finding) {
    const config::SourceLocation& location = finding.diagnostic.location;
    auto found = file_order.find(location.file);
    const size_t order = location.file.empty()       ? 0
                         : found != file_order.end() ? found->second
                                                     : files.size() + 1;
    return std::make_tuple(order, location.file, location.line, location.column);
  };
  std::stable_sort(findings.begin(), findings.end(),
                   [&](const Finding& a, const Finding& b) { return key(a) < key(b); });
}

}  // namespace

std::vector<Finding> analyze(const config::ResourceSet& resources,
                             const snapshot::BuildOptions& options) {
  Context context(resources, options);
  checkGatewaySelectors(context);
  checkPolicyAttachment(context);
  checkAllowNothing(context);
  checkRules(context);
  checkJwtRules(context);
  return context.takeFindings();
}

size_t Report::count(config::Diagnostic::Severity severity) const {
  return static_cast<size_t>(std::count_if(
      findings.begin(), findings.end(),
      [&](const Finding& finding) { return finding.diagnostic.severity == severity; }));
}

Report validateLoaded(config::LoadResult loaded, const snapshot::BuildOptions& options) {
  Report report;
  report.files = std::move(loaded.files);
  for (auto& diagnostic : loaded.diagnostics) {
    report.findings.push_back(fromDiagnostic(std::move(diagnostic)));
  }
  report.analyzed = loaded.ok();
  if (!report.analyzed) {
    sortByLocation(report.findings, report.files);
    return report;
  }

  OfflineKeys keys;
  snapshot::BuildResult built = snapshot::build(loaded.resources, options, keys);
  std::vector<Finding> analyses = analyze(loaded.resources, options);
  for (auto& diagnostic : built.diagnostics) {
    const bool superseded = std::any_of(
        analyses.begin(), analyses.end(),
        [&](const Finding& finding) { return sameSubject(finding.diagnostic, diagnostic); });
    if (!superseded) {
      report.findings.push_back(fromDiagnostic(std::move(diagnostic)));
    }
  }
  report.findings.insert(report.findings.end(), std::make_move_iterator(analyses.begin()),
                         std::make_move_iterator(analyses.end()));
  sortByLocation(report.findings, report.files);
  return report;
}

Report validatePaths(const std::vector<std::string>& paths, const snapshot::BuildOptions& options) {
  return validateLoaded(config::loadPaths(paths), options);
}

}  // namespace portcullis::analyze
