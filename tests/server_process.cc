#include "tests/server_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"

namespace entente::testing {
namespace fs = std::filesystem;
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Starts `args` in a child process with stderr (and, when given, stdout)
// going to files; returns the child's pid (or -1).
pid_t Spawn(std::vector<std::string> args, const std::string& stderr_path,
            const std::string& stdout_path = "") {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  FILE* err = std::fopen(stderr_path.c_str(), "w");
  if (err != nullptr) dup2(fileno(err), STDERR_FILENO);
  if (!stdout_path.empty()) {
    FILE* out = std::fopen(stdout_path.c_str(), "w");
    if (out != nullptr) dup2(fileno(out), STDOUT_FILENO);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  _exit(127);
}

// Sanitizer builds: a child's report goes to its stderr, which is a log file
// here, and the child may go on (or exit with a status no test checks) —
// so a report in the log fails the test, with the log in the output.
void FailOnSanitizerReport(const std::string& what, const std::string& log_text) {
  for (const char* marker : {"WARNING: ThreadSanitizer:", "ERROR: AddressSanitizer:",
                             "ERROR: LeakSanitizer:", "UndefinedBehaviorSanitizer:"}) {
    if (log_text.find(marker) != std::string::npos) {
      ADD_FAILURE() << what << " reported a sanitizer error:\n" << log_text;
      return;
    }
  }
}

}  // namespace

TempDir::TempDir() {
  std::random_device random;
  path_ = (fs::temp_directory_path() /
           ("entente_test_" + std::to_string(::getpid()) + "_" + std::to_string(random())))
              .string();
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string EntentedPath() { return ENTENTED_PATH; }

ServerProcess::ServerProcess(const std::string& db_path, const std::vector<std::string>& extra_args) {
  static int started = 0;
  log_path_ = db_path + ".server" + std::to_string(++started) + ".log";
  std::vector<std::string> args = {EntentedPath(), "--db", db_path, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = Spawn(std::move(args), log_path_);
  // "listening on 127.0.0.1:PORT", or another host when extra_args set
  // --listen (0.0.0.0 is reached through 127.0.0.1 all the same).
  const std::string listening = "listening on ";
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < give_up) {
    const std::string text = log();
    if (const size_t at = text.find(listening); at != std::string::npos) {
      const size_t end = text.find_first_of(" \n", at + listening.size());
      const size_t colon = text.rfind(':', end);
      if (end != std::string::npos && colon != std::string::npos && colon > at &&
          end > colon + 1) {  // the whole address is written
        port_ = std::stoi(text.substr(colon + 1, end - colon - 1));
        return;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;  // exited before listening
      FailOnSanitizerReport("entented", log());
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ServerProcess::~ServerProcess() {
  // Tests that do not stop the server themselves still learn how it ended:
  // a server that died on its own (a sanitizer's exitcode, a crash) fails.
  if (pid_ <= 0) return;
  const int status = Stop();
  if (status != 0) ADD_FAILURE() << "entented exited with status " << status << ":\n" << log();
}

std::string ServerProcess::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string ServerProcess::log() const { return ReadFile(log_path_); }

RunResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                     const std::string& log_path) {
  std::vector<std::string> argv_strings = {program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  const std::string out_path = log_path + ".out";
  RunResult result;
  const pid_t pid = Spawn(std::move(argv_strings), log_path, out_path);
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    result.exit_status = WEXITSTATUS(status);
  }
  result.stdout_text = ReadFile(out_path);
  result.stderr_text = ReadFile(log_path);
  FailOnSanitizerReport(program, result.stderr_text);
  return result;
}

RunResult RunEntented(const std::vector<std::string>& args, const std::string& log_path) {
  return RunProgram(EntentedPath(), args, log_path);
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > give_up) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  port_ = 0;
  FailOnSanitizerReport("entented", log());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace entente::testing
