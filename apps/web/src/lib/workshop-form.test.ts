import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreateWorkshopBody } from '@playground/contracts';
import { emptyWorkshopForm, workshopBody } from './workshop-form.ts';

describe('workshopBody', () => {
  it('turns the filled form into a body the contract accepts', () => {
    const body = workshopBody({
      title: '  Docker 101 ',
      seats: '3',
      startsAt: '2030-05-01T09:30',
      durationMinutes: '90',
      lab: '',
      instances: [
        { key: 0, hostname: 'node1', setup: 'echo ready > /root/ready\n' },
        { key: 1, hostname: ' ', setup: '   ' },
      ],
    });
    assert.deepEqual(CreateWorkshopBody.parse(body), body);
    assert.equal(body.title, 'Docker 101');
    assert.equal(body.seats, 3);
    assert.equal(body.durationMinutes, 90);
    assert.equal(body.startsAt, new Date('2030-05-01T09:30').toISOString());
    assert.deepEqual(body.template?.instances, [{ hostname: 'node1', setup: 'echo ready > /root/ready\n' }, {}]);
  });

  it('follows a lab instead of the instance rows when one is picked', () => {
    const body = workshopBody({ ...emptyWorkshopForm(), title: 'Compose', lab: 'compose-basics' });
    assert.deepEqual(body.lab, { slug: 'compose-basics' });
    assert.equal('template' in body, false, "the lab's template is the workshop's");
    assert.ok(CreateWorkshopBody.safeParse(body).success);
  });

  it('leaves out an empty start time and duration so the server decides', () => {
    const body = workshopBody({ ...emptyWorkshopForm(), title: 'x', startsAt: '', durationMinutes: '' });
    assert.equal('startsAt' in body, false);
    assert.equal('durationMinutes' in body, false);
    assert.ok(CreateWorkshopBody.safeParse(body).success);
  });
});
