package federation

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"sync"
	"testing"
)

var (
	testKeyOnce sync.Once
	testKeys    [2]*rsa.PrivateKey
)

// testKey returns one of two RSA-2048 keys generated once per test binary.
func testKey(tb testing.TB, i int) *rsa.PrivateKey {
	tb.Helper()
	testKeyOnce.Do(func() {
		for j := range testKeys {
			k, err := GenerateRSAKey()
			if err != nil {
				panic(err)
			}
			testKeys[j] = k
		}
	})
	return testKeys[i]
}

// fakeKeys is a KeyFetcher serving cached and refreshed keys from maps.
type fakeKeys struct {
	mu        sync.Mutex
	cached    map[string]crypto.PublicKey
	fresh     map[string]crypto.PublicKey // nil: refresh serves cached
	owner     string
	calls     int
	refreshes int
}

func (f *fakeKeys) PublicKey(_ context.Context, keyID string, refresh bool) (crypto.PublicKey, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	src := f.cached
	if refresh {
		f.refreshes++
		if f.fresh != nil {
			src = f.fresh
		}
	}
	k, ok := src[keyID]
	if !ok {
		return nil, "", errors.New("no such key")
	}
	return k, f.owner, nil
}

func keysFor(keyID string, k *rsa.PrivateKey) *fakeKeys {
	return &fakeKeys{cached: map[string]crypto.PublicKey{keyID: &k.PublicKey}, owner: KeyIDToActor(keyID)}
}
