using System.Diagnostics;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Tests.Infrastructure;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace AgentOrchestration.Data.Tests.WebDashboard;

/// <summary>
/// The dashboard page in a real browser: Debian's headless Chromium driven through Debian's chromedriver (never a
/// downloaded browser or driver). Under <c>CI=true</c> a missing Chromium fails the test; elsewhere it skips.
/// </summary>
public sealed class BrowserTests(DatabaseProvider provider) : ProviderFixture(provider)
{
    private const string Chromium = "/usr/bin/chromium";
    private const string ChromeDriver = "/usr/bin/chromedriver";

    [Test]
    public async Task The_page_shows_the_agents_a_new_claim_within_two_seconds_and_titles_as_text()
    {
        RequireChromium();
        await using var seed = await DashboardSeed.CreateAsync(Database);
        await using var dashboard = await DashboardProcess.StartAsync(Database);
        using var driver = StartBrowser();

        driver.Navigate().GoToUrl(new Uri(dashboard.Address, $"/?project={seed.Project.Id}"));
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(30));
        wait.Until(d => d.FindElement(By.Id("connection")).GetAttribute("data-state") == "live");

        // The agents, from the snapshot.
        var agents = driver.FindElements(By.CssSelector("#agents tbody strong")).Select(e => e.Text).ToList();
        Assert.That(agents, Is.EquivalentTo(new[] { seed.Coder.Slug, seed.Reviewer.Slug }));

        // The hostile title is text on a card: no script ran, none was added, no markup was parsed.
        var xss = driver.FindElement(By.CssSelector($"article[data-id='{seed.Xss.Id}'] .work-title"));
        Assert.That(xss.Text, Is.EqualTo(DashboardSeed.XssTitle));
        Assert.That(xss.FindElements(By.XPath("./*")), Is.Empty);
        Assert.That(driver.FindElements(By.TagName("script")), Has.Count.EqualTo(1), "only app.js");
        Assert.That(((IJavaScriptExecutor)driver).ExecuteScript("return window.__xss === undefined && document.querySelectorAll('b').length === 0;"), Is.True);
        Assert.Throws<NoAlertPresentException>(() => driver.SwitchTo().Alert());

        // A claim made now shows on the board (the agent on the card) and in the event stream within two seconds.
        var claimed = await seed.With<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(seed.Coder.Id, seed.Project.Id));
        var committed = Stopwatch.StartNew();
        Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(seed.Ready.Id));
        var live = new WebDriverWait(driver, TimeSpan.FromSeconds(2)) { PollingInterval = TimeSpan.FromMilliseconds(50) };
        live.Until(d => d.FindElements(By.CssSelector($"article[data-id='{seed.Ready.Id}'] .chip.agent")).Any(e => e.Text == seed.Coder.Slug)
            && d.FindElements(By.CssSelector("#events .type")).Any(e => e.Text == "work_item.claimed"));
        Assert.That(committed.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));

        // Heartbeat ages tick in the page between pushes.
        var heartbeat = driver.FindElement(By.CssSelector("#sessions tbody tr td:nth-child(6)")).Text;
        wait.Until(d => d.FindElement(By.CssSelector("#sessions tbody tr td:nth-child(6)")).Text != heartbeat);

        SaveScreenshot(driver);
    }

    private static ChromeDriver StartBrowser()
    {
        // Debian's binaries by path, so Selenium Manager never runs (and never downloads anything).
        Environment.SetEnvironmentVariable("SE_OFFLINE", "true");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1440,2200", "--hide-scrollbars");
        return new ChromeDriver(service, options, TimeSpan.FromMinutes(1));
    }

    private static void RequireChromium()
    {
        if (File.Exists(Chromium) && File.Exists(ChromeDriver))
        {
            return;
        }

        var message = $"{Chromium} and {ChromeDriver} are needed: run 'bash build/test.sh' (it installs the Debian packages chromium and chromium-driver) or 'apt-get install -y chromium chromium-driver'.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message);
        }

        Assert.Ignore(message);
    }

    private void SaveScreenshot(ChromeDriver driver)
    {
        // Beside the test results (artifacts/test-results), found from the repository root.
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "AgentOrchestration.Data.sln")))
        {
            root = root.Parent;
        }

        var folder = Path.Combine(root?.FullName ?? TestContext.CurrentContext.WorkDirectory, "artifacts", "test-results", "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"dashboard-{Provider.ToString().ToLowerInvariant()}.png");
        // The whole page, not only the window.
        var height = Convert.ToInt32(((IJavaScriptExecutor)driver).ExecuteScript("return document.documentElement.scrollHeight;"), System.Globalization.CultureInfo.InvariantCulture);
        driver.Manage().Window.Size = new System.Drawing.Size(1440, Math.Min(height + 20, 6000));
        driver.GetScreenshot().SaveAsFile(path);
        TestContext.AddTestAttachment(path, "the dashboard after the claim");
    }
}
