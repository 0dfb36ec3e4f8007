package dbtest

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"sync/atomic"
)

// keyPoolSize is how many distinct keys TestKeys generates. Keys are
// shared round-robin: two actors of one test may hold the same key, which
// is harmless unless a test asserts that keys differ.
const keyPoolSize = 4

var (
	keysOnce sync.Once
	keys     []*rsa.PrivateKey
	keysErr  error
	keyNext  atomic.Uint64
)

// TestKeys returns the process-wide pool of RSA-2048 test keys, generating
// it on first use (in parallel, a few hundred milliseconds once). Callers
// must not modify the keys. It panics if generation fails.
func TestKeys() []*rsa.PrivateKey {
	keysOnce.Do(generateKeys)
	if keysErr != nil {
		panic("dbtest: generate test keys: " + keysErr.Error())
	}
	return append([]*rsa.PrivateKey(nil), keys...)
}

// Key returns the next key of the pool, round-robin.
func Key() *rsa.PrivateKey {
	keysOnce.Do(generateKeys)
	if keysErr != nil {
		panic("dbtest: generate test keys: " + keysErr.Error())
	}
	return keys[(keyNext.Add(1)-1)%uint64(len(keys))]
}

// KeyGen returns a key generator for models.WithKeyGenerator that hands
// out the pool's keys round-robin instead of generating new ones.
func KeyGen() func() (*rsa.PrivateKey, error) {
	return func() (*rsa.PrivateKey, error) {
		keysOnce.Do(generateKeys)
		if keysErr != nil {
			return nil, keysErr
		}
		return keys[(keyNext.Add(1)-1)%uint64(len(keys))], nil
	}
}

func generateKeys() {
	out := make([]*rsa.PrivateKey, keyPoolSize)
	errs := make([]error, keyPoolSize)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() {
			out[i], errs[i] = rsa.GenerateKey(rand.Reader, 2048)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			keysErr = err
			return
		}
	}
	keys = out
}
