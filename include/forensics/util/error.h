// util: the typed errors every stage throws. Only the CLI turns them into exit codes
// (docs/cli.md lists them); nothing below it calls exit().
#pragma once

#include <stdexcept>
#include <string>

namespace forensics {

/// Base of all errors the library throws on purpose. The message says what failed, what was
/// expected and, where it helps, what to do about it.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The user's input is wrong: an incident file, a recipe, a command-line value. Exit code 3.
class InputError : public Error {
 public:
  using Error::Error;
};

/// A model directory, its weights or the runtime failed. Exit code 4.
class ModelError : public Error {
 public:
  using Error::Error;
};

/// A serving engine (--engine) could not answer after every retry, or answered something
/// unusable. Exit code 4, and it stops an investigation instead of failing one probe: every later
/// request would fail the same way, and what was already sampled is in the request cache.
class EngineError : public ModelError {
 public:
  using ModelError::ModelError;
};

}  // namespace forensics
