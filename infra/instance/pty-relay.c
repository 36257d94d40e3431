/*
 * pty-relay: a learner's shell on a pseudo-terminal, its bytes carried over one TCP
 * connection straight to the node agent.
 *
 * Why: `docker exec -t` passes every keystroke and every echo through the engine, which
 * copies them between the agent's socket and containerd's FIFOs, and the shim, which copies
 * them between the FIFOs and the TTY: two processes and four copies per byte each way. Here
 * the agent still starts the shell with `docker exec` (the engine keeps its say over who
 * runs what, with which user and limits), but the bytes go over a TCP connection to this
 * process, which owns the TTY: one hop.
 *
 * The agent starts it with `docker exec` (no TTY, stdin attached) and writes one line:
 *
 *     ADDRESS PORT TOKEN COLS ROWS ARGV...
 *
 * It listens on ADDRESS:PORT (the instance's own address), writes "ready" to stdout, and
 * takes the first connection that sends TOKEN; the others are closed unheard. Then it closes
 * the listener, starts ARGV on a new TTY of COLS x ROWS, and relays TTY <-> connection until
 * the shell ends. Each further line on stdin, "COLS ROWS", resizes the TTY. The agent closing
 * the connection or stdin hangs up the TTY (SIGHUP, then SIGKILL after a grace period).
 *
 * Exit status: the shell's (128 + the signal's number when a signal ended it). Before the
 * shell starts, 2 (bad request) or 3 (could not listen, no connection came).
 *
 * Flow control is the kernel's: output is read from the TTY only when the connection took
 * the last read, and input from the connection only when the TTY took the last, so a reader
 * that stops (the agent pausing a slow viewer) stops the shell, as a real terminal does.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define EXIT_BAD_REQUEST 2
#define EXIT_NO_CONNECTION 3
/* How long the agent has to connect and send its token, and how long a hung-up shell has to end. */
#define ACCEPT_TIMEOUT_MS 10000
#define TOKEN_TIMEOUT_MS 3000
#define HANGUP_GRACE_MS 2000
#define MAX_REQUEST 4096
#define MAX_ARGS 64
#define BUFFER_BYTES 65536

static int sigchld_pipe[2] = {-1, -1};

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  if (write(sigchld_pipe[1], "c", 1) < 0) { /* full: a wake-up is already pending */ }
  errno = saved;
}

static void fail(int status, const char *what) {
  fprintf(stderr, "pty-relay: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
  exit(status);
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reads stdin up to and without the first newline, one byte at a time: what follows it
 * (resize lines) is read later by the relay loop. */
static void read_request(char *line, size_t size) {
  size_t used = 0;
  for (;;) {
    char c;
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) { errno = 0; fail(EXIT_BAD_REQUEST, "stdin ended before the request line"); }
    if (c == '\n') break;
    if (used + 1 >= size) { errno = 0; fail(EXIT_BAD_REQUEST, "request line too long"); }
    line[used++] = c;
  }
  line[used] = '\0';
}

static int listen_on(const char *address, const char *port_text) {
  struct sockaddr_in addr = {.sin_family = AF_INET};
  char *end;
  long port = strtol(port_text, &end, 10);
  if (*end || port < 1 || port > 65535 || inet_pton(AF_INET, address, &addr.sin_addr) != 1) {
    errno = 0;
    fail(EXIT_BAD_REQUEST, "bad address or port");
  }
  addr.sin_port = htons((unsigned short)port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 4) < 0)
    fail(EXIT_NO_CONNECTION, "cannot listen");
  return fd;
}

/* Compares without stopping at the first difference, so timing tells nothing of the token. */
static int same_token(const char *a, const char *b, size_t length) {
  unsigned char diff = 0;
  for (size_t i = 0; i < length; i++) diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}

/* Reads exactly `length` bytes within `timeout_ms`; 0 when they did not all come. */
static int read_exactly(int fd, char *buffer, size_t length, int timeout_ms) {
  size_t got = 0;
  long deadline = now_ms() + timeout_ms;
  while (got < length) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    long left = deadline - now_ms();
    if (left <= 0 || poll(&p, 1, (int)left) <= 0) return 0;
    ssize_t n = read(fd, buffer + got, length - got);
    if (n <= 0) return 0;
    got += (size_t)n;
  }
  return 1;
}

/* The first connection that sends the token; stdin ending means the agent gave up. */
static int accept_agent(int listener, const char *token) {
  size_t length = strlen(token);
  char received[256];
  long deadline = now_ms() + ACCEPT_TIMEOUT_MS;
  for (;;) {
    struct pollfd p[2] = {{.fd = listener, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
    long left = deadline - now_ms();
    if (left <= 0) { errno = 0; fail(EXIT_NO_CONNECTION, "no connection with the token came"); }
    if (poll(p, 2, (int)left) < 0) {
      if (errno == EINTR) continue;
      fail(EXIT_NO_CONNECTION, "poll");
    }
    if (!(p[0].revents & POLLIN)) {
      if (p[1].revents) { errno = 0; fail(EXIT_NO_CONNECTION, "stdin ended before the agent connected"); }
      continue;
    }
    int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (read_exactly(fd, received, length, TOKEN_TIMEOUT_MS) && same_token(received, token, length)) return fd;
    close(fd);
  }
}

/* The TTY's two ends. This process keeps the slave end open too, so the master never reports
 * a hang-up before the shell opened its end or after it closed it: the shell's end is told by
 * waitpid, not by the TTY. */
static int open_pty(unsigned short cols, unsigned short rows, int *slave) {
  char name[128];
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof name) != 0)
    fail(1, "cannot open a pseudo-terminal");
  *slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave < 0) fail(1, "cannot open the pseudo-terminal's slave end");
  struct winsize size = {.ws_col = cols, .ws_row = rows};
  ioctl(master, TIOCSWINSZ, &size);
  return master;
}

/* In the child: a session of its own with the TTY as its controlling terminal, then ARGV. */
static void exec_shell(int slave, char **argv) {
  setsid();
  ioctl(slave, TIOCSCTTY, 0);
  dup2(slave, STDIN_FILENO);
  dup2(slave, STDOUT_FILENO);
  dup2(slave, STDERR_FILENO);
  if (slave > STDERR_FILENO) close(slave);
  /* The relay ignores SIGPIPE; ignored signals survive exec, and the shell's own must not. */
  signal(SIGPIPE, SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvp(argv[0], argv);
  dprintf(STDERR_FILENO, "pty-relay: cannot run %s: %s\r\n", argv[0], strerror(errno));
  _exit(127);
}

static int status_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

/* Hangs up the TTY (the kernel sends the shell SIGHUP, bash passes it to its jobs), then
 * kills the shell's process group if it is still there after the grace period. */
static int hang_up(int master, pid_t child) {
  close(master);
  long deadline = now_ms() + HANGUP_GRACE_MS;
  int status;
  while (now_ms() < deadline) {
    if (waitpid(child, &status, WNOHANG) == child) return status_of(status);
    usleep(20000);
  }
  kill(-child, SIGKILL);
  kill(child, SIGKILL);
  return waitpid(child, &status, 0) == child ? status_of(status) : 1;
}

/* A resize line, "COLS ROWS", from the agent. */
static void apply_control_line(int master, const char *line) {
  unsigned cols, rows;
  if (sscanf(line, "%u %u", &cols, &rows) != 2 || cols < 1 || rows < 1 || cols > 10000 || rows > 10000) return;
  struct winsize size = {.ws_col = (unsigned short)cols, .ws_row = (unsigned short)rows};
  ioctl(master, TIOCSWINSZ, &size); /* the kernel tells the foreground job (SIGWINCH) */
}

struct buffer {
  char data[BUFFER_BYTES];
  size_t start, end;
};

/* Writes what the buffer holds to fd as far as fd takes it; -1 when fd failed. */
static int flush(struct buffer *b, int fd) {
  while (b->start < b->end) {
    ssize_t n = write(fd, b->data + b->start, b->end - b->start);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
    b->start += (size_t)n;
  }
  b->start = b->end = 0;
  return 0;
}

/* Fills an empty buffer from fd: the bytes read, 0 at end of file, -1 when nothing was there. */
static ssize_t fill(struct buffer *b, int fd) {
  ssize_t n = read(fd, b->data, sizeof b->data);
  if (n > 0) { b->start = 0; b->end = (size_t)n; }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
  return n < 0 ? 0 : n; /* EIO from the master: every holder of the TTY closed it */
}

static void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int relay(int master, int sock, pid_t child) {
  struct buffer *output = calloc(1, sizeof *output); /* TTY -> connection */
  struct buffer *input = calloc(1, sizeof *input);   /* connection -> TTY */
  char control[128];
  size_t control_used = 0;
  int master_open = 1;
  if (!output || !input) fail(1, "out of memory");
  set_nonblocking(master);
  set_nonblocking(sock);
  for (;;) {
    int status;
    if (waitpid(child, &status, WNOHANG) == child) {
      /* The shell ended: pass on what it wrote last (blocking now: the agent reads it or
       * closes), then end with its status. A job it left in the background may still hold
       * the TTY; it is hung up when the master closes with this process. */
      fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) & ~O_NONBLOCK);
      if (flush(output, sock) == 0)
        while (master_open && fill(output, master) > 0 && flush(output, sock) == 0) {}
      shutdown(sock, SHUT_WR);
      return status_of(status);
    }
    struct pollfd p[4] = {
        {.fd = master_open ? master : -1, .events = (output->end == 0 ? POLLIN : 0) | (input->end > 0 ? POLLOUT : 0)},
        /* POLLRDHUP even while input waits for the TTY: the agent closing is heard at once. */
        {.fd = sock, .events = POLLRDHUP | (input->end == 0 ? POLLIN : 0) | (output->end > 0 ? POLLOUT : 0)},
        {.fd = STDIN_FILENO, .events = POLLIN},
        {.fd = sigchld_pipe[0], .events = POLLIN},
    };
    if (poll(p, 4, -1) < 0) {
      if (errno == EINTR) continue;
      fail(1, "poll");
    }
    if (p[3].revents & POLLIN) {
      char drain[64];
      while (read(sigchld_pipe[0], drain, sizeof drain) > 0) {}
    }
    if (master_open && output->end == 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
      if (fill(output, master) == 0) master_open = 0; /* a TTY that fails: waitpid reports the end */
    if (output->end > 0 && flush(output, sock) < 0) return hang_up(master, child);
    if (input->end > 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR))) return hang_up(master, child);
    if (input->end == 0 && (p[1].revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))) {
      if (fill(input, sock) == 0) return hang_up(master, child); /* the agent closed the connection */
    }
    if (input->end > 0 && master_open && flush(input, master) < 0) input->start = input->end = 0;
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(STDIN_FILENO, control + control_used, sizeof control - 1 - control_used);
      if (n <= 0) return hang_up(master, child); /* the agent's exec ended */
      control_used += (size_t)n;
      control[control_used] = '\0';
      char *newline;
      while ((newline = memchr(control, '\n', control_used)) != NULL) {
        *newline = '\0';
        if (master_open) apply_control_line(master, control);
        size_t rest = control_used - (size_t)(newline + 1 - control);
        memmove(control, newline + 1, rest);
        control_used = rest;
      }
      if (control_used == sizeof control - 1) control_used = 0; /* a line too long is dropped */
    }
  }
}

int main(void) {
  char line[MAX_REQUEST];
  char *fields[MAX_ARGS + 6];
  int count = 0;
  read_request(line, sizeof line);
  for (char *field = strtok(line, " "); field && count < MAX_ARGS + 5; field = strtok(NULL, " ")) fields[count++] = field;
  fields[count] = NULL;
  if (count < 6) { errno = 0; fail(EXIT_BAD_REQUEST, "request: ADDRESS PORT TOKEN COLS ROWS ARGV..."); }
  const char *token = fields[2];
  unsigned cols = (unsigned)strtoul(fields[3], NULL, 10), rows = (unsigned)strtoul(fields[4], NULL, 10);
  if (strlen(token) < 16 || strlen(token) > 255 || cols < 1 || rows < 1 || cols > 10000 || rows > 10000) {
    errno = 0;
    fail(EXIT_BAD_REQUEST, "bad token or size");
  }

  signal(SIGPIPE, SIG_IGN);
  int listener = listen_on(fields[0], fields[1]);
  printf("ready\n");
  fflush(stdout);
  int sock = accept_agent(listener, token);
  close(listener);
  int one = 1;
  setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* an echo is one small write */

  if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0) fail(1, "pipe");
  struct sigaction action = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
  sigemptyset(&action.sa_mask);
  sigaction(SIGCHLD, &action, NULL);

  int slave;
  int master = open_pty((unsigned short)cols, (unsigned short)rows, &slave);
  pid_t child = fork();
  if (child < 0) fail(1, "fork");
  if (child == 0) exec_shell(slave, &fields[5]);
  return relay(master, sock, child);
}
