// `portcullis validate`: load and analyze a configuration without serving it.
#pragma once

#include <string>

#include "cli/cli.h"

namespace portcullis::cli {

struct ValidateOptions {
  GatewayOptions gateway;
  std::string output = "text";  // text or json
};

// Prints every problem of the configuration for the gateway identity of `options`. Returns 1
// when any is an error, 0 otherwise, and 2 for an invalid option.
int runValidate(const ValidateOptions& options);

}  // namespace portcullis::cli
