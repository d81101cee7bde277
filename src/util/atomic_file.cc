#include "forensics/util/atomic_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "forensics/util/error.h"

namespace forensics::util {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what, int error) {
  throw InputError("cannot write " + path.string() + ": " + what + ": " + std::strerror(error));
}

// The file a write to `path` replaces: a symlink's target (replacing the link itself would
// silently detach whatever it pointed at).
std::filesystem::path write_target(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_symlink(std::filesystem::symlink_status(path, ec))) return path;
  const auto target = std::filesystem::read_symlink(path, ec);
  if (ec) return path;
  return target.is_absolute() ? target : path.parent_path() / target;
}

}  // namespace

void check_output_path(const std::filesystem::path& requested) {
  const std::filesystem::path path = write_target(requested);
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    throw InputError("cannot write " + requested.string() + ": it exists and is not a regular file (" +
                     (std::filesystem::is_directory(status) ? "a directory" : "a device, FIFO or socket") +
                     "); name a file");
  }
  const std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : ".";
  if (!std::filesystem::is_directory(directory, ec)) {
    throw InputError("cannot write " + requested.string() + ": the folder " + directory.string() + " does not exist");
  }
  if (::access(directory.c_str(), W_OK) != 0)
    fail(requested, "the folder " + directory.string() + " is not writable", errno);
}

void write_file_atomically(const std::filesystem::path& requested, const std::vector<std::string_view>& parts) {
  check_output_path(requested);
  const std::filesystem::path path = write_target(requested);
  const std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : ".";
  std::string temporary = (directory / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) fail(path, "cannot create a temporary file in " + directory.string(), errno);
  auto abandon = [&](const std::string& what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    fail(path, what, error);
  };
  for (std::string_view part : parts) {
    while (!part.empty()) {
      const ssize_t written = ::write(fd, part.data(), part.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        abandon("write failed");
      }
      part.remove_prefix(static_cast<std::size_t>(written));
    }
  }
  // mkstemp creates 0600; outputs are ordinary files.
  if (::fchmod(fd, 0644) != 0) abandon("chmod failed");
  if (::fsync(fd) != 0) abandon("fsync failed");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    fail(path, "close failed", error);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    fail(path, "rename failed", error);
  }
}

OutputLock::OutputLock(const std::filesystem::path& output) {
  const std::filesystem::path target = write_target(output);
  const std::filesystem::path lock = (target.has_parent_path() ? target.parent_path() : std::filesystem::path(".")) /
                                     ("." + target.filename().string() + ".lock");
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(output, "cannot create its lock file " + lock.string(), errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char holder[32] = {};
    const ssize_t read = ::pread(fd_, holder, sizeof holder - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (error != EWOULDBLOCK) fail(output, "cannot lock " + lock.string(), error);
    throw InputError("cannot write " + output.string() + ": another forensics process" +
                     (read > 0 ? " (pid " + std::string(holder, static_cast<std::size_t>(read)) + ")" : "") +
                     " is writing it now; wait for it to finish, or write elsewhere (-o)");
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd_, pid.data(), pid.size(), 0);
  }
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace forensics::util
