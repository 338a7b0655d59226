// The run panel's page.
export {};
