package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opendemocracynow/odn/web/webtest"
)

// TestBrowserSignUpAndDemoSpace is what a newcomer does first: sign up,
// log out, log in, open the demo city — in a real headless Chromium.
func TestBrowserSignUpAndDemoSpace(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	if err := e.Store.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := webtest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var heading, who string
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.URL+"/signup"),
		chromedp.WaitVisible(chromedp.ID(`f-username`)),
		chromedp.SendKeys(chromedp.ID(`f-username`), "newcomer"),
		chromedp.SendKeys(chromedp.ID(`f-password`), testPassword),
		chromedp.SendKeys(chromedp.ID(`f-password_confirm`), testPassword),
		chromedp.Submit(chromedp.ID(`f-username`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if err != nil {
		t.Fatalf("sign up: %v", err)
	}
	who, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.nav-list`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(who, "newcomer") {
		t.Fatalf("after sign-up the menu shows %q", who)
	}
	webtest.Screenshot(t, ctx, "after-signup")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)),
		chromedp.Navigate(e.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID(`f-username`)),
		chromedp.SendKeys(chromedp.ID(`f-username`), "newcomer"),
		chromedp.SendKeys(chromedp.ID(`f-password`), testPassword),
		chromedp.Submit(chromedp.ID(`f-username`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/account"]`)),
		chromedp.Navigate(e.URL+"/s/ville"),
	)
	if err != nil {
		t.Fatalf("log in and open the demo space: %v", err)
	}
	heading, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`h1`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(heading, "Belleville") {
		t.Fatalf("demo space heading %q", heading)
	}
	webtest.Screenshot(t, ctx, "demo-space")
}
