package customersclient

// WaitingLookups is how many lookups of customer id wait behind its call in flight, or for
// its answer (Config.ShareFound).
func WaitingLookups(c *Client, id int64) int { return c.byID.Waiting(id) }
