// Package webtest drives a headless Chromium for browser tests of odn's
// pages: NewBrowser starts one per test (skipped loudly when no browser is
// installed, a failure under ODN_TEST_STRICT=1), Screenshot saves full-page
// PNGs, and RunAxe checks a page with axe-core against WCAG 2.2 AA;
// TextProblems finds clipped or overlapping text, after TextSize (200 %
// text) or TextSpacing (WCAG 1.4.12) when asked, and SmallText text
// drawn too small (an SVG scaled down to a phone's width). At each of
// ReflowWidths (SetViewport), LayoutProblems finds what breaks reflow
// (WCAG 1.4.10), target size (2.5.8) or the navigation's reach, and
// ControlText buttons and form controls that cut their text off;
// ScrolledContrast runs axe-core's contrast check on what scroll
// containers hide, which RunAxe passes over.
//
// Tests drive the page with github.com/chromedp/chromedp directly:
//
//	ctx := webtest.NewBrowser(t)
//	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
//		t.Fatal(err)
//	}
//	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
//
// Environment:
//
//	ODN_CHROME           browser executable (default: /usr/bin/chromium, then
//	                     chromium, chromium-browser, google-chrome… on $PATH)
//	ODN_SCREENSHOT_DIR   also keep screenshots here (they survive the test),
//	                     and save one of each failed test's page
//	ODN_TEST_STRICT      1: a missing browser fails the test (CI)
//
// Only tests import webtest; nothing in the odn binary may.
package webtest
