// libsystemd's service-manager notification and socket-activation calls.
#include <systemd/sd-daemon.h>
