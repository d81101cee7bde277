// cli: shell completion scripts and the man page, generated from the parsed command table.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace forensics::cli {

/// The completion script for `shell` (bash, zsh or fish). Throws InputError for another shell.
std::string completion_script(const CLI::App& app, const std::string& shell);

/// forensics(1) in roff.
std::string man_page(const CLI::App& app);

}  // namespace forensics::cli
