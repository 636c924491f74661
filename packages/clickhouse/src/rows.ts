/**
 * Column helpers for any row type. The row types themselves belong to the services that write
 * them (history_events: the analytics writer; registrations: the registration worker).
 */

/** Epoch seconds for a DateTime column: a number is an instant to ClickHouse, where text would be read in the server's time zone. */
export const epochSeconds = (ms: number): number => Math.floor(ms / 1000);
