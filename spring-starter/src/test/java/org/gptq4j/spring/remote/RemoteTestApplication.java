package org.gptq4j.spring.remote;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** An application with nothing but the starter: run once as the gptq4j server, once as its remote client. */
@SpringBootApplication
public class RemoteTestApplication {
}
