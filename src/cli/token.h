// `portcullis token`: verify a JWT as the gateway would, decode one without verifying it, mint
// test tokens and generate signing keys.
#pragma once

#include <memory>

#include <CLI/CLI.hpp>

namespace portcullis::cli {

// The `token` subcommand and its options. Construct it on the program's CLI::App before the
// command line is parsed. Afterwards, when selected() is true, run() executes the subcommand
// and returns the process exit status.
class TokenCommand {
 public:
  explicit TokenCommand(CLI::App& app);
  ~TokenCommand();

  TokenCommand(const TokenCommand&) = delete;
  TokenCommand& operator=(const TokenCommand&) = delete;

  bool selected() const;
  int run() const;

 private:
  struct Options;
  std::unique_ptr<Options> options_;
};

}  // namespace portcullis::cli
