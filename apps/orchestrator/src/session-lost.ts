/** What the API, the terminal and the page say about a session whose node stopped responding. */
export const SESSION_LOST_MESSAGE = 'The machine running this session stopped responding. Its instances are gone.';
