// Signal handling DaemonKit needs that Swift cannot write itself.
//
// A signal handler may only do async-signal-safe things, and Swift code (its
// runtime, reference counting, globals set up on first use) is not: the handler
// that turns a signal into one byte on a pipe is therefore C. DaemonKit's
// SignalWatcher is the only code that includes this header.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int ocrspool_signal_pipe_fd = -1;

static void ocrspool_signal_to_pipe(int number) {
    int saved = errno;
    unsigned char byte = (unsigned char)number;
    (void)!write(ocrspool_signal_pipe_fd, &byte, 1);
    errno = saved;
}

// Sends `number` as a byte to the non-blocking pipe end `fd` whenever it
// arrives, on whichever thread the kernel picks. Returns sigaction's result.
static inline int ocrspool_signal_to_pipe_install(int fd, int number) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    ocrspool_signal_pipe_fd = fd;
    action.sa_handler = ocrspool_signal_to_pipe;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return sigaction(number, &action, NULL);
}
