// Starts the real entented binary for a test on a free loopback port with
// its own database directory, and stops it (SIGTERM, then SIGKILL after a
// grace period) when the test is done.
#ifndef ENTENTE_TESTS_SERVER_PROCESS_H_
#define ENTENTE_TESTS_SERVER_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace entente::testing {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ServerProcess {
 public:
  // Starts `entented --db db_path --listen 127.0.0.1:0 extra_args...` and
  // waits until it logs the port it listens on. Check ok() afterwards.
  // A --listen in extra_args wins; address() is on 127.0.0.1 all the same.
  ServerProcess(const std::string& db_path, const std::vector<std::string>& extra_args = {});
  ~ServerProcess();

  bool ok() const { return port_ > 0; }
  std::string address() const;
  // Sends SIGTERM and waits; returns the exit status (or -1).
  int Stop();
  // Everything the server has written to stderr so far.
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// Runs `program args...` to completion, with stderr captured to the file
// `log_path` and stdout to `log_path` + ".out".
struct RunResult {
  int exit_status = -1;  // -1: did not exit normally
  std::string stdout_text;
  std::string stderr_text;
};
RunResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                     const std::string& log_path);
// The same for entented (one-shot modes such as --import).
RunResult RunEntented(const std::vector<std::string>& args, const std::string& log_path);

// Path of the entented binary under test (set by CMake).
std::string EntentedPath();

}  // namespace entente::testing

#endif  // ENTENTE_TESTS_SERVER_PROCESS_H_
