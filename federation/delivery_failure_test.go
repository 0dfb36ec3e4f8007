package federation

import (
	"errors"
	"fmt"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestDeliveryFailure: which failed deliveries are retried, and why a
// report's forward failed when its Flag's job dies: a final 4xx is the
// peer's refusal; 401, 408, 429, 5xx and network errors are retried, so
// their job dies only when the retries ran out (unreachable); an address
// odn does not send to is final, and not the peer's doing.
func TestDeliveryFailure(t *testing.T) {
	netErr := errors.New("dial tcp: connection refused")
	for _, c := range []struct {
		status int
		err    error
		final  bool
		why    string
	}{
		{403, nil, true, models.ForwardErrorRefused},
		{410, nil, true, models.ForwardErrorRefused},
		{400, nil, true, models.ForwardErrorRefused},
		{401, nil, false, models.ForwardErrorUnreachable},
		{408, nil, false, models.ForwardErrorUnreachable},
		{429, nil, false, models.ForwardErrorUnreachable},
		{500, nil, false, models.ForwardErrorUnreachable},
		{503, nil, false, models.ForwardErrorUnreachable},
		{0, netErr, false, models.ForwardErrorUnreachable},
		{0, fmt.Errorf("post: %w", ErrForbiddenAddress), true, models.ForwardErrorAddress},
		{0, fmt.Errorf("post: %w", ErrInsecureURL), true, models.ForwardErrorAddress},
	} {
		final, why := failure(c.status, c.err)
		if final != c.final || why != c.why {
			t.Errorf("status %d, err %v: final %v, %q; want %v, %q", c.status, c.err, final, why, c.final, c.why)
		}
	}
}
