#include "cli/validate.h"

#include <iostream>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

#include "analyze/analyze.h"

namespace portcullis::cli {
namespace {

namespace json = boost::json;
using Severity = config::Diagnostic::Severity;

std::string_view severityName(Severity severity) {
  switch (severity) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Info:
      return "info";
  }
  return "error";
}

std::string plural(size_t count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

void printText(const analyze::Report& report, const snapshot::Workload& workload) {
  std::cout << "gateway: " << workload.describe() << "\n";
  for (const auto& finding : report.findings) {
    std::cout << finding.diagnostic.format();
    if (!finding.code.empty()) {
      std::cout << " [" << finding.code << "]";
    }
    std::cout << "\n";
    if (!finding.hint.empty()) {
      std::cout << "    hint: " << finding.hint << "\n";
    }
  }
  const size_t errors = report.count(Severity::Error);
  const size_t warnings = report.count(Severity::Warning);
  std::cout << plural(errors, "error") << ", " << plural(warnings, "warning") << " in "
            << plural(report.files.size(), "file") << "\n";
  if (!report.analyzed) {
    std::cout << "the analyses did not run: fix the errors first\n";
  }
}

json::object findingJson(const analyze::Finding& finding) {
  const config::Diagnostic& diagnostic = finding.diagnostic;
  return json::object{{"severity", severityName(diagnostic.severity)},
                      {"code", finding.code},
                      {"file", diagnostic.location.file},
                      {"line", diagnostic.location.line},
                      {"column", diagnostic.location.column},
                      {"object", diagnostic.object},
                      {"field", diagnostic.field},
                      {"message", diagnostic.message},
                      {"hint", finding.hint}};
}

void printJson(const analyze::Report& report, const snapshot::Workload& workload) {
  json::array findings;
  for (const auto& finding : report.findings) {
    findings.push_back(findingJson(finding));
  }
  json::array files;
  for (const auto& file : report.files) {
    files.push_back(json::string(file));
  }
  json::object labels;
  for (const auto& [key, value] : workload.labels) {
    labels[key] = value;
  }
  json::object result{
      {"gateway", json::object{{"namespace", workload.ns}, {"labels", std::move(labels)}}},
      {"files", std::move(files)},
      {"analyzed", report.analyzed},
      {"errors", report.count(Severity::Error)},
      {"warnings", report.count(Severity::Warning)},
      {"infos", report.count(Severity::Info)},
      {"findings", std::move(findings)}};
  std::cout << json::serialize(result) << "\n";
}

}  // namespace

int runValidate(const ValidateOptions& options) {
  spdlog::set_level(spdlog::level::warn);
  snapshot::BuildOptions build_options;
  if (!buildOptionsFrom(options.gateway, build_options)) {
    return 2;
  }
  const analyze::Report report =
      analyze::validatePaths(options.gateway.config_paths, build_options);
  if (options.output == "json") {
    printJson(report, build_options.workload);
  } else {
    printText(report, build_options.workload);
  }
  return report.hasErrors() ? 1 : 0;
}

}  // namespace portcullis::cli
