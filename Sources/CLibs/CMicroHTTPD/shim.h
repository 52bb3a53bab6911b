// libmicrohttpd, the embedded HTTP/1.1 server the upload daemon is built on.
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

// MHD_start_daemon is variadic, which Swift cannot call. This wrapper takes the
// fixed arguments ocrspool uses and passes every other option as one
// MHD_OPTION_ARRAY, terminated by an MHD_OPTION_END item.
static inline struct MHD_Daemon *ocrspool_mhd_start(
    unsigned int flags, MHD_AccessHandlerCallback handler, void *handler_cls,
    MHD_RequestCompletedCallback completed, void *completed_cls,
    struct MHD_OptionItem *options) {
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

// MHD_get_daemon_info is variadic too; this asks it for the number of open
// connections, or returns 0 when the library cannot tell.
static inline unsigned int ocrspool_mhd_connection_count(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info == NULL ? 0 : info->num_connections;
}
