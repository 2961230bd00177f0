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
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));
        wait.Until(d => d.FindElement(By.Id("connection")).GetAttribute("data-state") == "live");

        // The agents, from the snapshot. (Read through scripts: the page re-renders as pushes arrive, so element handles go stale.)
        var agents = Script<IReadOnlyCollection<object>>(driver, "return [...document.querySelectorAll('#agents tbody strong')].map(e => e.textContent);");
        Assert.That(agents, Is.EquivalentTo(new[] { seed.Coder.Slug, seed.Reviewer.Slug }));

        // The hostile title is text on a card: no script ran, none was added, no markup was parsed.
        var xss = Script<IReadOnlyCollection<object>>(driver,
            "const t = document.querySelector(`article[data-id='${arguments[0]}'] .work-title`); return [t.textContent, t.children.length, t.innerText];",
            seed.Xss.Id.ToString()).ToList();
        Assert.That(xss[0], Is.EqualTo(DashboardSeed.XssTitle));
        Assert.That(xss[1], Is.Zero, "no element was parsed from the title");
        Assert.That(xss[2], Is.EqualTo(DashboardSeed.XssTitle), "it shows as text");
        Assert.That(Script<long>(driver, "return document.scripts.length;"), Is.EqualTo(1), "only app.js");
        Assert.That(Script<long>(driver, "return document.querySelectorAll('#qa-results b').length;"), Is.Zero, "the finding's <b> is text too");
        Assert.Throws<NoAlertPresentException>(() => driver.SwitchTo().Alert());

        var passed = false;
        try
        {
            // A claim made now shows in the page's event stream, naming the item, within two seconds of its commit
            // (pushed as it commits); the board follows with the server's next snapshot.
            var claimed = await seed.With<IWorkClaimer, ClaimedWork?>(c => c.ClaimNextAsync(seed.Coder.Id, seed.Project.Id));
            var committed = Stopwatch.StartNew();
            Assert.That(claimed?.Lease.WorkItemId, Is.EqualTo(seed.Ready.Id));
            var live = new WebDriverWait(driver, TimeSpan.FromSeconds(2))
            {
                PollingInterval = TimeSpan.FromMilliseconds(50),
                Message = "the claim did not show in the event stream within two seconds",
            };
            // Read in one script call: the page re-renders these lists as pushes arrive, so element handles go stale.
            live.Until(_ => Script<bool>(driver,
                "return [...document.querySelectorAll('#events li')].some(li => li.querySelector('.type')?.textContent === 'work_item.claimed' && li.textContent.includes(arguments[0]));",
                seed.Ready.Title));
            Assert.That(committed.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
            wait.Message = "the board did not show the claimed item held by the agent";
            wait.Until(_ => Script<bool>(driver,
                "return [...document.querySelectorAll(`article[data-id='${arguments[0]}'] .chip.agent`)].some(c => c.textContent === arguments[1]);",
                seed.Ready.Id.ToString(), seed.Coder.Slug));

            // Heartbeat ages tick in the page between pushes.
            const string heartbeatCell = "return document.querySelector('#sessions tbody tr td:nth-child(6)').textContent;";
            var heartbeat = Script<string>(driver, heartbeatCell);
            wait.Message = "the heartbeat age did not tick";
            wait.Until(_ => Script<string>(driver, heartbeatCell) != heartbeat);
            passed = true;
        }
        finally
        {
            SaveScreenshot(driver, failed: !passed);
        }
    }

    [Test]
    public async Task The_page_says_reconnecting_while_the_server_is_down_and_catches_up_when_it_is_back()
    {
        RequireChromium();
        await using var seed = await DashboardSeed.CreateAsync(Database);
        var port = DashboardProcess.FreePort();
        var dashboard = await DashboardProcess.StartAsync(Database, port);
        using var driver = StartBrowser();
        try
        {
            driver.Navigate().GoToUrl(new Uri(dashboard.Address, $"/?project={seed.Project.Id}"));
            var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(30)) { Message = "the page did not connect" };
            const string state = "return document.getElementById('connection').dataset.state;";
            wait.Until(_ => Script<string>(driver, state) == "live");

            // The server goes away: the page says so instead of silently freezing.
            await dashboard.DisposeAsync();
            wait.Message = "the page did not show that the stream dropped";
            wait.Until(_ => Script<string>(driver, state) == "reconnecting");
            Assert.That(Script<string>(driver, "return document.getElementById('connection').textContent;"), Does.StartWith("reconnecting"));

            // A change made while it is down arrives after the restart: the browser resumes with Last-Event-ID from a
            // new process, which serves the gap from the event log.
            var missed = await seed.AddTaskAsync("Made while the dashboard was down");
            var missedSequence = (await LastSequenceAsync(seed, missed.Id)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            dashboard = await DashboardProcess.StartAsync(Database, port);
            wait.Message = $"the page did not reconnect and catch up with event {missedSequence}";
            wait.Until(_ => Script<string>(driver, state) == "live" && Script<bool>(driver,
                "return [...document.querySelectorAll('#events li')].some(li => li.querySelector('.type')?.textContent === 'work_item.created' && li.dataset.sequence === arguments[0]);",
                missedSequence));
            // The new task is in no sprint: on the board's "All work" tab, with the server's next snapshot.
            driver.ExecuteScript("[...document.querySelectorAll('#sprint-tabs button')].find(b => b.textContent === 'All work').click();");
            wait.Message = "the board did not show the task made while the dashboard was down";
            wait.Until(_ => Script<bool>(driver, "return !!document.querySelector(`article[data-id='${arguments[0]}']`);", missed.Id.ToString()));
            Assert.That(Script<long>(driver, "return new Set([...document.querySelectorAll('#events li')].map(li => li.dataset.sequence)).size === document.querySelectorAll('#events li').length ? 1 : 0;"), Is.EqualTo(1), "no event shown twice");
        }
        catch (WebDriverTimeoutException)
        {
            TestContext.Out.WriteLine(Script<string>(driver,
                "return document.getElementById('connection').dataset.state + ' | ' + document.getElementById('last-event').textContent + ' | ' + [...document.querySelectorAll('#events li')].map(li => li.dataset.sequence + ':' + li.querySelector('.type').textContent).slice(0, 8).join(', ');"));
            TestContext.Out.WriteLine(dashboard.Output);
            throw;
        }
        finally
        {
            await dashboard.DisposeAsync();
        }
    }

    private static async Task<long> LastSequenceAsync(DashboardSeed seed, Guid entityId)
    {
        var log = await seed.With<AgentOrchestration.Data.EventLog.IEventLog, IReadOnlyList<AgentOrchestration.Data.Entities.OrchestrationEvent>>(l => l.ReadAsync(0, 1000, seed.Project.Id));
        return log.Last(e => e.EntityId == entityId).Sequence;
    }

    private static T Script<T>(ChromeDriver driver, string script, params object[] arguments) => (T)driver.ExecuteScript(script, arguments)!;

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

    private void SaveScreenshot(ChromeDriver driver, bool failed)
    {
        // Beside the test results (artifacts/test-results), found from the repository root.
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "AgentOrchestration.Data.sln")))
        {
            root = root.Parent;
        }

        var folder = Path.Combine(root?.FullName ?? TestContext.CurrentContext.WorkDirectory, "artifacts", "test-results", "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"dashboard-{Provider.ToString().ToLowerInvariant()}{(failed ? "-failed" : string.Empty)}.png");
        // The whole page, not only the window.
        var height = Convert.ToInt32(((IJavaScriptExecutor)driver).ExecuteScript("return document.documentElement.scrollHeight;"), System.Globalization.CultureInfo.InvariantCulture);
        driver.Manage().Window.Size = new System.Drawing.Size(1440, Math.Min(height + 20, 6000));
        driver.GetScreenshot().SaveAsFile(path);
        TestContext.AddTestAttachment(path, "the dashboard after the claim");
    }
}
