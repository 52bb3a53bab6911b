// libinotifytools, and the kernel's inotify event layout it hands back.
#include <sys/inotify.h>
#include <inotifytools/inotifytools.h>
#include <string.h>

// Swift cannot reach the flexible array member `name` of struct inotify_event,
// so the event's entry name is read through this accessor.
static inline const char *ocrspool_inotify_event_name(const struct inotify_event *event) {
    return event->len > 0 ? event->name : "";
}
