/** The refresh due queue's name and NOTIFY channel (writes that plan sooner work wake the runners). */
export const REFRESH_QUEUE_NAME = 'connection-refresh';
export const REFRESH_NOTIFY_CHANNEL = 'connection_refresh_due';
