// System calls the spool needs that Swift's Glibc module does not offer.
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/file.h>

// renameat2(2) with RENAME_NOREPLACE is declared by glibc only under
// _GNU_SOURCE and syscall(2) is variadic, so neither imports into Swift.
// RENAME_NOREPLACE is 1 in <linux/fs.h>.
static inline int ocrspool_rename_noreplace(const char *from, const char *to) {
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 1u);
}

// Swift sees both `struct flock` and flock(2) and cannot pick the function.
static inline int ocrspool_flock(int fd, int operation) {
    return flock(fd, operation);
}
