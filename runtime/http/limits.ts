/** Bodies the API accepts: larger ones are refused with 413 before they are read. */
export const MAX_BODY_BYTES = 256 * 1024;
