package org.gptq4j.samples.springchat;

import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End to end in a real headless Chromium: the page is typed into, the answer streams in token by token, and a
 * screenshot lands in {@code target/spring-chat.png}. Needs Debian's {@code chromium} and {@code chromium-driver}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SpringChatBrowserTest {
    static final String CHROMIUM = "/usr/bin/chromium", CHROMEDRIVER = "/usr/bin/chromedriver";
    static ChromeDriver browser;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("langchain4j.gptq.chat-model.model-path", () -> Fixtures.model(Fixtures.STORIES, "main").toString());
        registry.add("langchain4j.gptq.chat-model.chat-template", () -> "raw");
        registry.add("langchain4j.gptq.chat-model.seed", () -> "1");
    }

    @BeforeAll
    static void startBrowser() {
        assertThat(new File(CHROMIUM)).as("install Chromium: apt-get install -y chromium chromium-driver").exists();
        assertThat(new File(CHROMEDRIVER)).as("install chromedriver: apt-get install -y chromium-driver").exists();
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM)
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1024,768");
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER)).build(), options);
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) browser.quit();
    }

    @Test
    void aPromptTypedInThePageGetsAStreamedAnswer() throws IOException {
        browser.get("http://localhost:" + port + "/");
        browser.findElement(By.id("message")).sendKeys("Once upon a time");
        browser.findElement(By.id("send")).click();

        WebElement answer = new WebDriverWait(browser, Duration.ofSeconds(60))
                .until(d -> d.findElements(By.cssSelector("p.answer[data-done]")).stream().findFirst().orElse(null));
        Path screenshot = Path.of("target", "spring-chat.png");
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), screenshot, StandardCopyOption.REPLACE_EXISTING);

        assertThat(answer.getDomAttribute("data-done")).isEqualTo("true");
        assertThat(Integer.parseInt(answer.getDomAttribute("data-tokens"))).as("tokens arrived one by one").isGreaterThan(5);
        assertThat(answer.getText()).isNotBlank().contains(" ");
        assertThat(browser.findElement(By.cssSelector("p.user")).getText()).isEqualTo("Once upon a time");
        assertThat(Files.size(screenshot)).isGreaterThan(1000);
    }

    @Test
    void theOpenAiCompatibleEndpointIsOn() throws Exception {
        HttpResponse<String> models = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(models.statusCode()).isEqualTo(200);
        assertThat(models.body()).contains("\"object\":\"list\"");
    }
}
