// librabbitmq-c (Debian librabbitmq-dev 0.11): the AMQP 0-9-1 client AMQPKit wraps.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>

// amqp_login is variadic (the SASL method's arguments follow), which Swift cannot
// call, so this wrapper fixes the method to PLAIN with a user and a password.
static inline amqp_rpc_reply_t ocrspool_amqp_login_plain(
    amqp_connection_state_t state, const char *vhost, int channel_max, int frame_max,
    int heartbeat, const char *user, const char *password)
{
    return amqp_login(state, vhost, channel_max, frame_max, heartbeat,
                      AMQP_SASL_METHOD_PLAIN, user, password);
}

// The method numbers are macros with a cast, which Swift does not import; these
// constants carry the same values under importable names.
static const amqp_method_number_t OCRSPOOL_AMQP_BASIC_DELIVER = AMQP_BASIC_DELIVER_METHOD;
static const amqp_method_number_t OCRSPOOL_AMQP_BASIC_RETURN = AMQP_BASIC_RETURN_METHOD;
static const amqp_method_number_t OCRSPOOL_AMQP_BASIC_ACK = AMQP_BASIC_ACK_METHOD;
static const amqp_method_number_t OCRSPOOL_AMQP_BASIC_NACK = AMQP_BASIC_NACK_METHOD;
static const amqp_method_number_t OCRSPOOL_AMQP_BASIC_CANCEL = AMQP_BASIC_CANCEL_METHOD;
static const amqp_method_number_t OCRSPOOL_AMQP_CHANNEL_CLOSE = AMQP_CHANNEL_CLOSE_METHOD;
static const amqp_method_number_t OCRSPOOL_AMQP_CHANNEL_CLOSE_OK =
    AMQP_CHANNEL_CLOSE_OK_METHOD;
static const amqp_method_number_t OCRSPOOL_AMQP_CONNECTION_CLOSE =
    AMQP_CONNECTION_CLOSE_METHOD;
static const amqp_method_number_t OCRSPOOL_AMQP_CONNECTION_CLOSE_OK =
    AMQP_CONNECTION_CLOSE_OK_METHOD;
static const amqp_method_number_t OCRSPOOL_AMQP_CONNECTION_BLOCKED =
    AMQP_CONNECTION_BLOCKED_METHOD;
static const amqp_method_number_t OCRSPOOL_AMQP_CONNECTION_UNBLOCKED =
    AMQP_CONNECTION_UNBLOCKED_METHOD;

// The property flags are macros too; Swift imports them, but as Int32, so these
// give them the type of the `_flags` field they are tested against.
static const amqp_flags_t OCRSPOOL_AMQP_FLAG_CONTENT_TYPE = AMQP_BASIC_CONTENT_TYPE_FLAG;
static const amqp_flags_t OCRSPOOL_AMQP_FLAG_CONTENT_ENCODING =
    AMQP_BASIC_CONTENT_ENCODING_FLAG;
static const amqp_flags_t OCRSPOOL_AMQP_FLAG_HEADERS = AMQP_BASIC_HEADERS_FLAG;
static const amqp_flags_t OCRSPOOL_AMQP_FLAG_DELIVERY_MODE = AMQP_BASIC_DELIVERY_MODE_FLAG;
static const amqp_flags_t OCRSPOOL_AMQP_FLAG_CORRELATION_ID = AMQP_BASIC_CORRELATION_ID_FLAG;
static const amqp_flags_t OCRSPOOL_AMQP_FLAG_REPLY_TO = AMQP_BASIC_REPLY_TO_FLAG;
static const amqp_flags_t OCRSPOOL_AMQP_FLAG_MESSAGE_ID = AMQP_BASIC_MESSAGE_ID_FLAG;
static const amqp_flags_t OCRSPOOL_AMQP_FLAG_TIMESTAMP = AMQP_BASIC_TIMESTAMP_FLAG;
