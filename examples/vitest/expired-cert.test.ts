// Your client against a server with an expired certificate: it must refuse, not deliver.
import { expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { startScenario } from 'broken-mta';

it('refuses a server whose certificate has expired', async () => {
  const mta = await startScenario('expired-cert');
  const client = nodemailer.createTransport({ host: mta.host, port: mta.port, requireTLS: true });
  await expect(client.sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'hi' })).rejects.toThrow(/certificate has expired/);
  expect(mta.messages).toHaveLength(0);
  await mta.close();
});
