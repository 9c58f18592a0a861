// Static analysis of a configuration for one gateway identity, in the spirit of
// `istioctl analyze`. It keeps the diagnostics of the loader and of the snapshot build. It also
// finds policies that attach to no gateway served here, rules that can never match at a
// gateway, JWT rules that interfere with each other, and policies that deny everything.
#pragma once

#include <string>
#include <vector>

#include "config/loader.h"
#include "config/resources.h"
#include "snapshot/snapshot.h"

namespace portcullis::analyze {

// One problem. `diagnostic.message` states what is wrong and its effect on requests, and
// `hint` the change to make.
struct Finding {
  config::Diagnostic diagnostic;
  // Name of the analysis, such as "PolicyNotApplied". Empty for diagnostics of the loader and
  // of the snapshot build, whose messages already state the change to make.
  std::string code;
  std::string hint;
};

// A gateway workload this configuration serves, with the ports its listeners use.
struct ServedWorkload {
  snapshot::Workload workload;
  std::vector<uint32_t> gateway_ports;  // as the Gateway objects declare them
  std::vector<uint16_t> listen_ports;   // after --port-map: what `ports` conditions compare
};

// The workloads that listen for this configuration, found by the same rules as
// snapshot::build(): the Istio gateway workload of `options` when an Istio Gateway selects it,
// and every Gateway API Gateway. Servers and listeners whose protocol is not served are left
// out, and so is a workload that is left with no port.
std::vector<ServedWorkload> servedWorkloads(const config::ResourceSet& resources,
                                            const snapshot::BuildOptions& options);

// Runs every analysis on resources that loaded without errors. Findings are grouped by
// analysis.
std::vector<Finding> analyze(const config::ResourceSet& resources,
                             const snapshot::BuildOptions& options);

struct Report {
  std::vector<Finding> findings;   // ordered by file (in load order), line and column
  std::vector<std::string> files;  // every file read
  // False when the loader found errors: the build and the analyses then do not run, because
  // they would report the consequences of the documents left out.
  bool analyzed = false;

  size_t count(config::Diagnostic::Severity severity) const;
  bool hasErrors() const { return count(config::Diagnostic::Severity::Error) > 0; }
};

// Loads `paths`, builds the snapshot for `options` without fetching any remote key set, and
// runs analyze(). A finding of analyze() replaces a build diagnostic of the same object and
// field, so the Info note of an unselected Gateway becomes a Warning.
Report validatePaths(const std::vector<std::string>& paths, const snapshot::BuildOptions& options);

// The same for manifests already loaded, as validatePaths() does after loading.
Report validateLoaded(config::LoadResult loaded, const snapshot::BuildOptions& options);

}  // namespace portcullis::analyze
